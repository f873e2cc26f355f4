//! Microsoft identity + Graph emulator.
