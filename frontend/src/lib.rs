#![recursion_limit = "256"]
//! The browser entry point. Trunk builds this crate to `/pkg/frontend-<hash>.js` and
//! `/pkg/frontend-<hash>_bg.wasm`; the script the server's shell renders
//! (`app::shell::bundle_scripts`) loads them once the page is painted and calls `hydrate()`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
