//! CSV files people make and open in their spreadsheets: reading the people file (bulk
//! invitations, cost-center assignments) and writing exports with the injection rules.

pub mod read;
pub mod write;
