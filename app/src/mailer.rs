//! The two real mail transports: SMTP (lettre) and the dev mailer of the embedded default,
//! which keeps the last messages in memory for the dev mailbox page (`/dev/mailbox`), so a
//! newcomer can sign in without a mail server. The dev mailer runs only when the
//! configuration proves a local run (`config::Config::local_run`) or `PORTAL_DEV_MAILER=true`
//! says so, and never prints a message's body: codes and links are on its page only, never
//! on stdout or in logs. What the portal sends, and the outbox it waits in, are the `mail`
//! domain's.

use std::{collections::VecDeque, sync::Mutex};

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};

/// One mail to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why a send failed; `permanent` failures (the server refused the address) are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub reason: String,
}

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Dev(DevMailbox),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Dev(_) => f.write_str("Mailer::Dev"),
        }
    }
}

impl Mailer {
    /// SMTP from a URL such as `smtp://127.0.0.1:1025`, `smtps://user:pass@host` or
    /// `smtp://host:587?tls=required` (lettre's URL format).
    pub fn smtp(url: &str, from: &str) -> Result<Self, String> {
        // Well under the outbox lease (60 s): a send that hangs gives its message back as a
        // failure before another instance may claim it, so it is never sent twice.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| format!("PORTAL_MAIL_FROM: {e}"))?;
        Ok(Mailer::Smtp { transport, from })
    }

    pub fn dev() -> Self {
        Mailer::Dev(DevMailbox::default())
    }

    pub fn is_dev(&self) -> bool {
        matches!(self, Mailer::Dev(_))
    }

    pub async fn send(&self, m: &Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = m.to.parse().map_err(|e| SendError {
                    permanent: true,
                    reason: format!("bad address: {e}"),
                })?;
                let email = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&m.subject)
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_PLAIN)
                                    .body(m.text.clone()),
                            )
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_HTML)
                                    .body(m.html.clone()),
                            ),
                    )
                    .map_err(|e| SendError {
                        permanent: true,
                        reason: e.to_string(),
                    })?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        reason: e.to_string(),
                    })
            }
            Mailer::Dev(mailbox) => {
                // Only that a mail exists: its body (a code, an invitation link) is shown on
                // the dev mailbox page and nowhere else.
                tracing::info!(subject = %m.subject, "dev mailer: a mail is waiting at /dev/mailbox");
                mailbox.push(m.clone());
                Ok(())
            }
        }
    }
}

/// The last messages the dev mailer "sent", newest first.
#[derive(Default)]
pub struct DevMailbox(Mutex<VecDeque<Message>>);

impl DevMailbox {
    const KEEP: usize = 50;

    fn push(&self, m: Message) {
        if let Ok(mut q) = self.0.lock() {
            q.push_front(m);
            q.truncate(Self::KEEP);
        }
    }

    pub fn messages(&self) -> Vec<Message> {
        self.0
            .lock()
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }
}
