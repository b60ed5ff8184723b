//! The server-function client for every mutating server function: the browser's `fetch`
//! client plus the session's CSRF token in the `x-csrf-token` header (security.md, "CSRF").
//! Forms also carry the token as a hidden field, for posts made before or without hydration;
//! an `ActionForm` that has hydrated sends only the function's own arguments, so the header
//! is what protects it.

use std::sync::Mutex;

use server_fn::{
    client::{browser::BrowserClient, Client},
    error::FromServerFnError,
    request::browser::BrowserRequest,
    response::browser::BrowserResponse,
};

/// The form field (and header, [`CSRF_HEADER`]) that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

static TOKEN: Mutex<String> = Mutex::new(String::new());

/// Remembers the session's CSRF token (set whenever the session view is loaded).
pub fn set_token(token: &str) {
    if let Ok(mut t) = TOKEN.lock() {
        token.clone_into(&mut t);
    }
}

fn token() -> String {
    TOKEN.lock().map(|t| t.clone()).unwrap_or_default()
}

pub struct CsrfClient;

impl<E, IS, OS> Client<E, IS, OS> for CsrfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(
        req: Self::Request,
    ) -> impl std::future::Future<Output = Result<Self::Response, E>> + Send {
        req.headers().set(CSRF_HEADER, &token());
        <BrowserClient as Client<E, IS, OS>>::send(req)
    }

    fn open_websocket(
        path: &str,
    ) -> impl std::future::Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<bytes::Bytes, bytes::Bytes>> + Send + 'static,
                impl futures::Sink<bytes::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
