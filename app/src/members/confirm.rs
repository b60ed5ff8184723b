//! The confirm steps of `/members`: removing someone (`?remove=<id>`) and handing over
//! ownership (a fresh code to the owner's address first).

use leptos::prelude::*;

use super::{MemberView, RemoveMember, RequestTransferCode, TransferOwnership};
use crate::{i18n::use_texts, ids, ui::Csrf};

#[component]
pub(super) fn ConfirmRemove(
    m: MemberView,
    csrf: String,
    remove: ServerAction<RemoveMember>,
    /// The list to return to (its search, sort and page).
    back: String,
) -> impl IntoView {
    let t = use_texts();
    let who = m.who();
    crate::ui::focus_on_mount(ids::CONFIRM_REMOVE);
    view! {
        <div class="panel confirm" role="alertdialog" aria-labelledby="confirm-title" id=ids::CONFIRM_REMOVE tabindex="-1" autofocus>
            <h2 id="confirm-title">{format!("{} {who}?", t.confirm_remove)}</h2>
            <p>{t.confirm_remove_body}</p>
            <ActionForm action=remove attr:class="inline-form">
                <Csrf token=csrf />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <input type="hidden" name="back" value=back.clone() />
                <button type="submit" class="button danger" id=ids::CONFIRM_REMOVE_YES>{t.confirm_yes}</button>
                <a class="button secondary" href=back>{t.confirm_no}</a>
            </ActionForm>
        </div>
    }
}

#[component]
pub(super) fn TransferPanel(
    m: MemberView,
    csrf: String,
    send_code: ServerAction<RequestTransferCode>,
    transfer: ServerAction<TransferOwnership>,
    back: String,
) -> impl IntoView {
    let t = use_texts();
    let who = m.who();
    let csrf2 = csrf.clone();
    crate::ui::focus_on_mount(ids::TRANSFER_PANEL);
    view! {
        <div class="panel confirm" role="alertdialog" aria-labelledby="transfer-title" id=ids::TRANSFER_PANEL tabindex="-1" autofocus>
            <h2 id="transfer-title">{format!("{} {who}?", t.transfer_title)}</h2>
            <p>{t.transfer_body}</p>
            <ActionForm action=send_code attr:class="inline-form">
                <Csrf token=csrf />
                <button type="submit" class="button secondary" id=ids::TRANSFER_SEND_CODE>{t.transfer_send_code}</button>
                <span class="hint" role="status">
                    {move || matches!(send_code.value().get(), Some(Ok(()))).then_some(t.transfer_code_sent)}
                </span>
            </ActionForm>
            <ActionForm action=transfer attr:class="inline-form">
                <Csrf token=csrf2 />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <label for=ids::TRANSFER_CODE>{t.code_label}</label>
                <input type="text" id=ids::TRANSFER_CODE name="code" required class="code-input"
                    inputmode="numeric" autocomplete="one-time-code" maxlength="7" placeholder="123 456" />
                <button type="submit" class="button danger" id=ids::TRANSFER_CONFIRM>{t.transfer_confirm}</button>
                <a class="button secondary" href=back>{t.confirm_no}</a>
            </ActionForm>
        </div>
    }
}
