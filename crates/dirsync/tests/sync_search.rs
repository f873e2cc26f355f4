//! The full-text index stays in step with the directory through incremental rounds and a full
//! round over a filled directory, which rewrite it batch by batch instead of row by row.

mod sync_support;

use dirsync::directory::{self, Query};
use dirsync::runs::RunStatus;
use dirsync::sync;
use serde_json::json;
use sync_support::*;

/// Every user the Directory page's search finds for `text`, sorted by id.
fn found(d: &Dir, text: &str) -> Vec<String> {
    let store = d.store();
    let query = Query {
        text: text.into(),
        limit: 10_000,
        ..Query::default()
    };
    let page = directory::search(store.conn(), &query).unwrap();
    let mut ids: Vec<String> = page.items.into_iter().map(|u| u.id).collect();
    ids.sort();
    assert_eq!(ids.len() as u64, page.total, "total matches the items");
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn search_finds_what_each_round_wrote_and_nothing_it_removed() {
    let t = tenant(40, 7).await;
    let d = data_dir();
    d.sync(&t).await.unwrap();
    d.assert_index_matches_table();
    assert_eq!(found(&d, "").len(), tenant_ids(&t).len());

    let c = t.emu.control();
    let renamed = c.user_id_at(0).unwrap();
    let soft = c.user_id_at(1).unwrap();
    let hard = c.user_id_at(2).unwrap();
    let soft_upn = c.user(&soft).unwrap().user["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_string();
    c.update_user(
        &renamed,
        json!({"displayName": "Zephyrine Quartermaine", "city": "Trondheim"}),
    )
    .unwrap();
    c.soft_delete(&soft).unwrap();
    c.hard_delete(&hard).unwrap();
    let hired = c
        .add_user(json!({"displayName": "Xavierre Oddington", "userPrincipalName": "xavierre.oddington@contoso.example", "city": "Trondheim"}))
        .unwrap();

    let run = d.sync_with(&t, allow_deletes()).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(!run.full_round);
    assert_eq!(
        (run.counts.added, run.counts.updated, run.counts.removed),
        (1, 1, 2)
    );
    d.assert_index_matches_table();
    assert_eq!(found(&d, "zephyrine"), vec![renamed.clone()]);
    assert_eq!(found(&d, "xavierre odd"), vec![hired.clone()]);
    assert_eq!(
        found(&d, "trondheim"),
        sorted(vec![renamed.clone(), hired.clone()])
    );
    assert!(!found(&d, &soft_upn).contains(&soft));
    assert!(!found(&d, "").contains(&hard));
    assert_eq!(found(&d, "").len(), tenant_ids(&t).len());

    // A full round over the filled directory (Reset sync) rewrites every entry the same way.
    c.update_user(&hired, json!({"city": "Bergen"})).unwrap();
    sync::reset(&d.data, &d.store()).unwrap();
    let run = d.sync(&t).await.unwrap();
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.full_round);
    d.assert_index_matches_table();
    assert_eq!(found(&d, "trondheim"), vec![renamed.clone()]);
    assert_eq!(found(&d, "bergen"), vec![hired]);
    assert_eq!(found(&d, "").len(), tenant_ids(&t).len());
}

fn allow_deletes() -> dirsync::sync::SyncOptions {
    let mut opts = dirsync::sync::SyncOptions::new(dirsync::runs::Trigger::Manual);
    opts.allow_deletes = true;
    opts
}
