//! Which desktop notification, if any, a finished run deserves.

use super::SCHEDULE_TRIGGER;

/// How a run ended, as far as the admin needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcomeKind {
    Success {
        added: u64,
        updated: u64,
        removed: u64,
    },
    /// `reason` is the run's one-line, plain-language error.
    Failed { reason: String },
    /// The deletion guard held back `removals` removals until the admin decides.
    NeedsApproval { removals: u64 },
    /// Sign-in expired or was revoked; the admin must sign in again.
    SignInRequired,
    /// The admin cancelled it; they already know.
    Cancelled,
}

/// A desktop notification's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub body: String,
}

fn people(n: u64) -> String {
    if n == 1 {
        "1 person".to_string()
    } else {
        format!("{n} people")
    }
}

/// The notification for a finished run started by `trigger` (the run history's trigger value).
///
/// Only scheduled runs notify: the admin watched any other run in the window. Failures, held-back
/// deletes and expired sign-ins always notify; successes only when `notify_success` is on.
pub fn notification_for(
    outcome: &RunOutcomeKind,
    trigger: &str,
    notify_success: bool,
) -> Option<Notification> {
    if trigger != SCHEDULE_TRIGGER {
        return None;
    }
    let (title, body) = match outcome {
        RunOutcomeKind::Success {
            added,
            updated,
            removed,
        } => {
            if !notify_success {
                return None;
            }
            let body = if added + updated + removed == 0 {
                "Your directory is up to date; nothing changed.".to_string()
            } else {
                format!(
                    "Your directory is up to date: {} added, {} updated, {} removed.",
                    people(*added),
                    people(*updated),
                    people(*removed)
                )
            };
            ("Daily sync finished".to_string(), body)
        }
        RunOutcomeKind::Failed { reason } => (
            "Daily sync failed".to_string(),
            format!(
                "{} Your directory was not changed. Open Directory Sync to see the run's log and try again.",
                reason.trim_end()
            ),
        ),
        RunOutcomeKind::NeedsApproval { removals } => (
            "Daily sync needs your approval".to_string(),
            format!(
                "It would remove {} from the directory, more than the deletion limit allows. \
                 Nothing was changed. Open Directory Sync to review and allow or reject the removals.",
                people(*removals)
            ),
        ),
        RunOutcomeKind::SignInRequired => (
            "Sign in again to keep syncing".to_string(),
            "The daily sync could not sign in to Microsoft, so your directory was not updated. \
             Open Directory Sync and sign in; the next run picks up every change."
                .to_string(),
        ),
        RunOutcomeKind::Cancelled => return None,
    };
    Some(Notification { title, body })
}
