//! Sign-in (issue 4): the test tenant fixture through the core.

use dirsync::auth::{Auth, SignInState, TokenStorePreference};
use dirsync::datadir::DataDir;
use dirsync::runs::RunStatus;
use dirsync_e2e::tenant::Tenant;

/// The fixture other window tests build on: configure, sign in (scripted browser, token file),
/// sync; the data directory then reads as signed in with the users synced.
#[test]
fn the_tenant_fixture_signs_in_and_syncs() {
    let tenant = Tenant::start(30);
    let dir = tenant.data_dir();
    tenant.configure(dir);
    let auth =
        Auth::with_token_store(DataDir::at(dir).unwrap(), TokenStorePreference::File).unwrap();
    assert_eq!(auth.status().unwrap().state, SignInState::SignedOut);

    let signed_in = tenant.sign_in(dir);
    assert_eq!(
        signed_in.account.username.as_deref(),
        Some(tenant.emulator().admin_upn().as_str())
    );
    assert_eq!(auth.status().unwrap().state, SignInState::SignedIn);
    assert_eq!(
        tenant.expected_account().tenant_name,
        signed_in.account.tenant_name
    );

    let run = tenant.sync(dir);
    assert_eq!(run.status, RunStatus::Success);
    // The default sync scope keeps members (guests are out of scope).
    let members = tenant
        .emulator()
        .control()
        .users_snapshot()
        .iter()
        .filter(|u| u["userType"] == "Member")
        .count();
    assert!(members > 0);
    assert_eq!(run.counts.added as usize, members);
}
