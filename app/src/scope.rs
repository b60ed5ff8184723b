//! The tenant boundary as a type. Every store function that reads or writes one company's
//! data takes a [`CompanyScope`], and a scope exists only where `auth` handed one out:
//!
//! - [`crate::auth::TenantCtx::scope`]: a signed-in person's company, with their role read
//!   from the database on this request;
//! - [`crate::auth::OperatorAccess`]: the operator's own tools (the command line, the demo
//!   generator), which act for any company they name.
//!
//! So a query against "some company id" does not compile; it needs a scope, and a scope is
//! an authorisation that happened. The constructor is `pub(crate)` and called only inside
//! `app/src/auth/` (checked by the test `scopes_are_granted_only_by_auth` below); outside
//! this crate nothing can make one:
//!
//! With a scope, the same call compiles:
//!
//! ```no_run
//! # async fn f(db: app::db::Db, scope: app::scope::CompanyScope) {
//! let invoices = app::invoices::store::list(&db, scope).await;
//! # }
//! ```
//!
//! ```compile_fail,E0624
//! // The server crate (or any other) cannot forge a scope for a bare id...
//! let scope = app::scope::CompanyScope::granted(uuid::Uuid::nil());
//! ```
//!
//! ```compile_fail,E0308
//! # async fn f(db: app::db::Db) {
//! // ...and a store function does not take a bare company id.
//! let _ = app::invoices::store::list(&db, uuid::Uuid::nil()).await;
//! # }
//! ```
//!
//! A scope is deliberately not `Deserialize`: it can never arrive from a client.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompanyScope {
    company_id: Uuid,
}

impl CompanyScope {
    /// Only `auth` calls this, after it has authorised the caller for this company.
    pub(crate) fn granted(company_id: Uuid) -> Self {
        CompanyScope { company_id }
    }

    /// For tests and benchmarks, which build their own companies (the `testing` feature,
    /// never in the server binary).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests(company_id: Uuid) -> Self {
        CompanyScope { company_id }
    }

    /// The id to bind in SQL. Stores call this; nothing else needs to.
    pub fn company_id(self) -> Uuid {
        self.company_id
    }

    /// For rows that name their company (a batch of sessions, a cost center): refuses a row of
    /// another company before anything is written.
    pub fn check(self, company_id: Uuid) -> Result<(), sqlx::Error> {
        if company_id == self.company_id {
            Ok(())
        } else {
            Err(sqlx::Error::InvalidArgument(format!(
                "a row of company {company_id} in a write for company {}",
                self.company_id
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    /// `CompanyScope::granted` is `pub(crate)`, so the compiler keeps other crates out; this
    /// keeps the rest of this crate out: only files under `auth/` grant scopes.
    #[test]
    fn scopes_are_granted_only_by_auth() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if rel.starts_with("auth/") || rel == "scope.rs" {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("CompanyScope::granted") || text.contains("scope::CompanyScope {")
                {
                    offenders.push(rel);
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "scopes granted outside auth/: {offenders:?}"
        );
    }
}
