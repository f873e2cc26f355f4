//! `graph-emulator --port P --users N --seed S`: serves the emulated tenant until Ctrl-C.

use clap::Parser;
use graph_emulator::{Emulator, EmulatorConfig};

#[derive(Parser)]
#[command(about = "Microsoft identity + Graph emulator for dirsync")]
struct Args {
    /// Port on 127.0.0.1 (0 = random).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Number of generated users (10 to 1,000,000).
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Seed of the generated tenant and of the token signing key.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// users/delta page size (1..=999).
    #[arg(long, default_value_t = 200)]
    page_size: usize,
    /// Skip the sign-in and consent pages.
    #[arg(long)]
    auto_approve: bool,
    /// Load a hand-written tenant from a JSON file instead of generating one.
    #[arg(long)]
    tenant_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let a = Args::parse();
    let emu = Emulator::start(EmulatorConfig {
        port: a.port,
        users: a.users,
        seed: a.seed,
        page_size: a.page_size,
        auto_approve: a.auto_approve,
        tenant_file: a.tenant_file,
        ..EmulatorConfig::default()
    })
    .await?;
    println!("authority: {}", emu.authority());
    println!("graph: {}", emu.graph_url());
    println!("client_id: {}", emu.client_id());
    println!("tenant_id: {}", emu.tenant_id());
    println!("tenant_domain: {}", emu.tenant_domain());
    println!("admin_upn: {}", emu.admin_upn());
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    emu.shutdown().await;
    Ok(())
}
