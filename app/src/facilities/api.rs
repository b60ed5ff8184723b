//! The facilities domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::store;
use crate::error::AppError;
use leptos::prelude::*;

/// Lists the facilities that match the query, with the city choices. Public and read-only,
/// so a cacheable GET (`/api/facilities?query[q]=…&query[city]=…&query[kind]=…`).
#[server(prefix = "/api", endpoint = "facilities", input = server_fn::codec::GetUrl)]
pub async fn list_facilities(query: FacilityQuery) -> Result<FacilityList, AppError> {
    crate::answer::json(async move {
        let filter = query.validate()?;
        let state = crate::state::use_app_state()?;
        let filter = &filter;
        let (facilities, cities) = state
            .read(
                |db| async move { tokio::try_join!(store::list(&db, filter), store::cities(&db)) },
            )
            .await
            .map_err(AppError::from)?;
        Ok(FacilityList { facilities, cities })
    })
    .await
}
