#![recursion_limit = "256"]
//! The browser entry point. Trunk builds this crate to `/pkg/frontend.js` and
//! `/pkg/frontend_bg.wasm`; the `<HydrationScripts/>` the server renders call `hydrate()`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
