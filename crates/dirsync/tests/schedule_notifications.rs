//! Which finished runs raise a desktop notification, and what it says.

use dirsync::schedule::{notification_for, Notification, RunOutcomeKind, SCHEDULE_TRIGGER};

struct Case {
    name: &'static str,
    outcome: RunOutcomeKind,
    trigger: &'static str,
    notify_success: bool,
    /// (title, body) or None for no notification.
    expected: Option<(&'static str, &'static str)>,
}

fn success(added: u64, updated: u64, removed: u64) -> RunOutcomeKind {
    RunOutcomeKind::Success {
        added,
        updated,
        removed,
    }
}

fn failed(reason: &str) -> RunOutcomeKind {
    RunOutcomeKind::Failed {
        reason: reason.to_string(),
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "routine success is quiet by default",
            outcome: success(3, 2, 1),
            trigger: SCHEDULE_TRIGGER,
            notify_success: false,
            expected: None,
        },
        Case {
            name: "success when the admin asked for it",
            outcome: success(3, 1, 0),
            trigger: SCHEDULE_TRIGGER,
            notify_success: true,
            expected: Some((
                "Daily sync finished",
                "Your directory is up to date: 3 people added, 1 person updated, 0 people removed.",
            )),
        },
        Case {
            name: "success with no changes",
            outcome: success(0, 0, 0),
            trigger: SCHEDULE_TRIGGER,
            notify_success: true,
            expected: Some((
                "Daily sync finished",
                "Your directory is up to date; nothing changed.",
            )),
        },
        Case {
            name: "scheduled failure always notifies",
            outcome: failed("Microsoft Graph did not answer (network unreachable)."),
            trigger: SCHEDULE_TRIGGER,
            notify_success: false,
            expected: Some((
                "Daily sync failed",
                "Microsoft Graph did not answer (network unreachable). Your directory was not changed. \
                 Open Directory Sync to see the run's log and try again.",
            )),
        },
        Case {
            name: "needs approval, several people",
            outcome: RunOutcomeKind::NeedsApproval { removals: 42 },
            trigger: SCHEDULE_TRIGGER,
            notify_success: false,
            expected: Some((
                "Daily sync needs your approval",
                "It would remove 42 people from the directory, more than the deletion limit allows. \
                 Nothing was changed. Open Directory Sync to review and allow or reject the removals.",
            )),
        },
        Case {
            name: "needs approval, one person",
            outcome: RunOutcomeKind::NeedsApproval { removals: 1 },
            trigger: SCHEDULE_TRIGGER,
            notify_success: true,
            expected: Some((
                "Daily sync needs your approval",
                "It would remove 1 person from the directory, more than the deletion limit allows. \
                 Nothing was changed. Open Directory Sync to review and allow or reject the removals.",
            )),
        },
        Case {
            name: "sign-in expired",
            outcome: RunOutcomeKind::SignInRequired,
            trigger: SCHEDULE_TRIGGER,
            notify_success: false,
            expected: Some((
                "Sign in again to keep syncing",
                "The daily sync could not sign in to Microsoft, so your directory was not updated. \
                 Open Directory Sync and sign in; the next run picks up every change.",
            )),
        },
        Case {
            name: "cancelled scheduled run is quiet",
            outcome: RunOutcomeKind::Cancelled,
            trigger: SCHEDULE_TRIGGER,
            notify_success: true,
            expected: None,
        },
        Case {
            name: "a manual failure is shown in the window, not notified",
            outcome: failed("Microsoft Graph did not answer."),
            trigger: "manual",
            notify_success: true,
            expected: None,
        },
        Case {
            name: "a manual run never notifies sign-in",
            outcome: RunOutcomeKind::SignInRequired,
            trigger: "manual",
            notify_success: true,
            expected: None,
        },
        Case {
            name: "a manual success never notifies",
            outcome: success(1, 0, 0),
            trigger: "manual",
            notify_success: true,
            expected: None,
        },
    ]
}

#[test]
fn notifications_match_the_table() {
    let failures: Vec<String> = cases()
        .iter()
        .filter_map(|c| {
            let got = notification_for(&c.outcome, c.trigger, c.notify_success);
            let expected = c.expected.map(|(title, body)| Notification {
                title: title.to_string(),
                body: body.to_string(),
            });
            (got != expected)
                .then(|| format!("{}:\n  expected {expected:?}\n  got      {got:?}", c.name))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
