//! The background work of one instance: one task per outbox and one per periodic job.
//!
//! Each job has its own schedule and its own failures. A slow partner endpoint holds up the
//! guest-permit outbox and nothing else; a failing prune is logged and tried again at its next
//! tick while sign-in codes keep going out. Every run of a periodic job is its own Tokio task,
//! so even a panic in one run ends that run only. Outboxes claim their messages under leases
//! in the database, so several instances can run the same jobs side by side.
//!
//! | job | what | when |
//! |---|---|---|
//! | [`mail`] | the mail outbox: sign-in codes, invitations, reports | woken on queue, else every 2 s |
//! | [`operator`] (permits) | the guest-permit outbox to the operator's back office | woken on queue, else every 2 s |
//! | [`operator`] (policies) | the companies' rule changes to the operator's back office | every 2 s |
//! | [`upkeep`] | prune sessions/codes/rate events; prune sent mail; erase visitors' names; queue monthly reports; flag cars parked past their maximum stay | each every minute, from start-up |

pub mod mail;
pub mod operator;
pub mod upkeep;

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use app::{db::now_ts, state::AppState};
use tokio::{
    sync::{watch, Notify},
    task::JoinHandle,
};

/// Tells every job to stop after its current round (the server's graceful shutdown).
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// A stop signal and the sender that raises it.
    pub fn new() -> (watch::Sender<bool>, Stop) {
        let (tx, rx) = watch::channel(false);
        (tx, Stop(rx))
    }

    /// A signal that is never raised (a one-off call outside the server's jobs).
    pub fn never() -> Stop {
        Stop::new().1
    }

    pub(crate) fn raised(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the signal is raised (or its sender is gone).
    async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Starts every job of this instance. Guest permits and rule changes go to the operator only
/// when its endpoints are configured; otherwise their messages wait in the database (a local
/// run).
pub fn spawn_all(state: &AppState, stop: &Stop) -> Vec<JoinHandle<()>> {
    let mut jobs = vec![outbox(
        "mail",
        state.mail_notify.clone(),
        stop.clone(),
        mail::round(state.clone(), stop.clone()),
    )];
    if let Some(target) = &state.config.operator {
        let sender = Arc::new(operator::OperatorSender::permits(target));
        jobs.push(outbox(
            operator::PERMITS.name,
            state.permits_notify.clone(),
            stop.clone(),
            operator::round(state.clone(), sender, stop.clone()),
        ));
        if let Some(sender) = operator::OperatorSender::policies(target) {
            // Rule changes are rare and not urgent to the second: no wake-up, the poll finds
            // them (and those other instances queued).
            jobs.push(outbox(
                operator::POLICIES.name,
                Arc::new(Notify::new()),
                stop.clone(),
                operator::round(state.clone(), Arc::new(sender), stop.clone()),
            ));
        }
    }
    jobs.extend(upkeep::spawn_all(state, stop));
    jobs
}

/// How long an idle outbox waits before it looks again for messages queued by other instances.
const OUTBOX_POLL: Duration = Duration::from_secs(2);

/// An outbox's task: runs `round` until it says there is nothing more due, then sleeps until
/// woken, polled or stopped. A round has its own budget (a few batches), so a stop is seen
/// between rounds even under a flood.
fn outbox<F, Fut>(name: &'static str, wake: Arc<Notify>, mut stop: Stop, round: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Round> + Send + 'static,
{
    tokio::spawn(async move {
        while !stop.raised() {
            // A panic inside a round ends that round only (it is a task of its own).
            let started = Instant::now();
            let (more, ok) = match tokio::spawn(round()).await {
                Ok(Round::More) => (true, true),
                Ok(Round::Done) => (false, true),
                Err(e) => {
                    tracing::error!(job = name, error = %e, "outbox round failed");
                    (false, false)
                }
            };
            app::metrics::job_run(name, ok, started.elapsed(), now_ts());
            if more {
                continue;
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(OUTBOX_POLL) => {}
                () = stop.wait() => break,
            }
        }
    })
}

/// A round's future, boxed so that each outbox's `round` can be named.
pub type BoxFuture<T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What an outbox round found.
pub enum Round {
    /// It used its whole budget: there may be more due now.
    More,
    /// Nothing more is due.
    Done,
}

/// A periodic job's task: runs `job` now and then every `period`, each run a task of its own
/// (a failing or panicking run is logged and the next tick runs as usual).
fn periodic<F, Fut>(name: &'static str, period: Duration, mut stop: Stop, job: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop.wait() => break,
            }
            let started = Instant::now();
            let ok = match tokio::spawn(job()).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::error!(job = name, error = %e, "background job failed");
                    false
                }
                Err(e) => {
                    tracing::error!(job = name, error = %e, "background job panicked");
                    false
                }
            };
            app::metrics::job_run(name, ok, started.elapsed(), now_ts());
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Waits (at most `ms` milliseconds) until `count` reaches `n`.
    async fn reaches(count: &AtomicUsize, n: usize, ms: u64) -> bool {
        for _ in 0..ms / 10 {
            if count.load(Ordering::SeqCst) >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_panicking_job_runs_again_and_stops_no_other() {
        let (raise, stop) = Stop::new();
        let panicking = Arc::new(AtomicUsize::new(0));
        let healthy = Arc::new(AtomicUsize::new(0));
        let p = panicking.clone();
        let a = periodic(
            "panics",
            Duration::from_millis(10),
            stop.clone(),
            move || {
                let p = p.clone();
                async move {
                    p.fetch_add(1, Ordering::SeqCst);
                    panic!("a bug in one job");
                }
            },
        );
        let h = healthy.clone();
        let b = periodic(
            "healthy",
            Duration::from_millis(10),
            stop.clone(),
            move || {
                let h = h.clone();
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
        );
        assert!(
            reaches(&panicking, 3, 5000).await,
            "the panicking job ran again after its panic"
        );
        assert!(
            reaches(&healthy, 3, 5000).await,
            "the other job kept its schedule"
        );
        raise.send(true).unwrap();
        a.await.unwrap();
        b.await.unwrap();
    }

    #[tokio::test]
    async fn an_outbox_round_that_panics_is_tried_again_and_a_wake_up_is_heard() {
        let (raise, stop) = Stop::new();
        let rounds = Arc::new(AtomicUsize::new(0));
        let wake = Arc::new(Notify::new());
        let r = rounds.clone();
        let task = outbox("test", wake.clone(), stop, move || {
            let r = r.clone();
            async move {
                if r.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("a bug in the first round");
                }
                Round::Done
            }
        });
        assert!(reaches(&rounds, 1, 5000).await);
        // The first round panicked; the task is alive and runs the next round when woken,
        // long before its 2 s poll.
        wake.notify_one();
        assert!(
            reaches(&rounds, 2, 1000).await,
            "the outbox ran again after a panic, on its wake-up (not its 2 s poll)"
        );
        assert!(!task.is_finished());
        raise.send(true).unwrap();
        task.await.unwrap();
    }
}
