//! The facilities domain's types and pure rules, shared by the server and the browser.

use crate::error::Reason;
use crate::{error::AppError, i18n::Texts};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FacilityKind {
    Street,
    CameraGarage,
    BarrierGarage,
    Surface,
}

impl FacilityKind {
    pub const ALL: [FacilityKind; 4] = [
        FacilityKind::Street,
        FacilityKind::CameraGarage,
        FacilityKind::BarrierGarage,
        FacilityKind::Surface,
    ];

    /// The value stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Street => "street",
            FacilityKind::CameraGarage => "camera_garage",
            FacilityKind::BarrierGarage => "barrier_garage",
            FacilityKind::Surface => "surface",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            FacilityKind::Street => t.kind_street,
            FacilityKind::CameraGarage => t.kind_camera_garage,
            FacilityKind::BarrierGarage => t.kind_barrier_garage,
            FacilityKind::Surface => t.kind_surface,
        }
    }
}

/// Whether the company account works at a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Acceptance {
    Yes,
    Some,
    No,
}

impl Acceptance {
    pub fn as_str(self) -> &'static str {
        match self {
            Acceptance::Yes => "yes",
            Acceptance::Some => "some",
            Acceptance::No => "no",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Acceptance::Yes, Acceptance::Some, Acceptance::No]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Acceptance::Yes => t.accepts_yes,
            Acceptance::Some => t.accepts_some,
            Acceptance::No => t.accepts_no,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub city: String,
    pub kind: FacilityKind,
    pub company_account: Acceptance,
    /// Why, when the account does not simply work (e.g. "only levels 1–2").
    pub company_account_note: String,
    pub has_chargers: bool,
}

/// The search as it stands in the URL query: `?q=…&city=…&kind=…`. Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityQuery {
    pub q: String,
    pub city: String,
    pub kind: String,
}

/// A [`FacilityQuery`] that passed validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacilityFilter {
    /// Lower-cased search words, matched against name, address and city.
    pub text: Option<String>,
    pub city: Option<String>,
    pub kind: Option<FacilityKind>,
}

pub const MAX_SEARCH_LEN: usize = 100;

impl FacilityQuery {
    pub fn validate(&self) -> Result<FacilityFilter, AppError> {
        let q = self.q.trim();
        if q.chars().count() > MAX_SEARCH_LEN {
            return Err(AppError::invalid("q", Reason::TooLong));
        }
        let city = self.city.trim();
        if city.chars().count() > MAX_SEARCH_LEN {
            return Err(AppError::invalid("city", Reason::TooLong));
        }
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(
                FacilityKind::parse(k).ok_or_else(|| AppError::invalid("kind", Reason::Unknown))?,
            ),
        };
        Ok(FacilityFilter {
            text: (!q.is_empty()).then(|| q.to_lowercase()),
            city: (!city.is_empty()).then(|| city.to_owned()),
            kind,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityList {
    pub facilities: Vec<Facility>,
    /// Every city that has a facility, for the city filter.
    pub cities: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_filters_nothing() {
        assert_eq!(
            FacilityQuery::default().validate(),
            Ok(FacilityFilter::default())
        );
    }

    #[test]
    fn the_search_text_is_trimmed_and_lower_cased() {
        let q = FacilityQuery {
            q: "  GÖTEBORG ".into(),
            ..Default::default()
        };
        assert_eq!(q.validate().unwrap().text.as_deref(), Some("göteborg"));
    }

    #[test]
    fn an_unknown_kind_is_refused_naming_the_field() {
        let q = FacilityQuery {
            kind: "helipad".into(),
            ..Default::default()
        };
        assert!(matches!(q.validate(), Err(AppError::Invalid { field, .. }) if field == "kind"));
    }

    #[test]
    fn an_overlong_search_is_refused() {
        let q = FacilityQuery {
            q: "x".repeat(MAX_SEARCH_LEN + 1),
            ..Default::default()
        };
        assert!(matches!(q.validate(), Err(AppError::Invalid { field, .. }) if field == "q"));
    }

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for kind in FacilityKind::ALL {
            assert_eq!(FacilityKind::parse(kind.as_str()), Some(kind));
        }
    }
}
