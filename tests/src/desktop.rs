//! What WebDriver cannot see: the app's process, its X11 window, the tray and notifications.
//!
//! - [`AppProcess`] finds the `dirsync-app` started for a data directory (through `/proc`), tells
//!   whether it still runs, and launches a second instance with the same environment.
//! - [`X11`] closes a window the way a window manager does (a `WM_DELETE_WINDOW` client message,
//!   which Tauri sees as CloseRequested) and reads whether it is mapped (shown).
//! - [`TrayHost`] stands in for a desktop panel: it owns `org.kde.StatusNotifierWatcher` on the
//!   test's session bus, records the tray items that register, and reads and clicks their menus
//!   over `com.canonical.dbusmenu`, as a panel does.
//! - [`NotificationServer`] owns `org.freedesktop.Notifications` and records what is shown.
//!
//! Xvfb has no panel and no notification daemon; these let the tests check both the desktop
//! with a tray and the one without, honestly.

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// Upper bound for the desktop to react (a loaded 2-core CI machine); never a timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running (or exited) `dirsync-app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppProcess {
    pub pid: i32,
}

impl AppProcess {
    /// The live `dirsync-app` processes whose `DIRSYNC_DATA_DIR` is `data_dir`.
    pub fn all_for(data_dir: &Path) -> Vec<AppProcess> {
        let wanted = env_entry(dirsync::datadir::DATA_DIR_ENV, data_dir.as_os_str());
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let mut found: Vec<AppProcess> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .map(|pid| AppProcess { pid })
            .filter(|p| {
                // `comm`, not the exe link: a rebuild while the app runs turns the link into
                // "dirsync-app (deleted)".
                p.comm().as_deref() == Some("dirsync-app")
                    && p.running()
                    && p.environ().contains(&wanted)
            })
            .collect();
        found.sort_by_key(|p| p.pid);
        found
    }

    /// Waits for the one app started for `data_dir`.
    pub async fn find(data_dir: &Path) -> AppProcess {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let all = Self::all_for(data_dir);
            match all.as_slice() {
                [one] => return *one,
                [] if Instant::now() < deadline => {}
                _ if Instant::now() >= deadline => {
                    panic!(
                        "expected one dirsync-app for {}, found {all:?}",
                        data_dir.display()
                    )
                }
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn comm(&self) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{}/comm", self.pid))
            .ok()
            .map(|c| c.trim_end().to_string())
    }

    fn environ(&self) -> Vec<Vec<u8>> {
        std::fs::read(format!("/proc/{}/environ", self.pid))
            .map(|raw| raw.split(|b| *b == 0).map(<[u8]>::to_vec).collect())
            .unwrap_or_default()
    }

    /// Alive and not a zombie (an exited child its parent has not reaped yet).
    pub fn running(&self) -> bool {
        match std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) {
            // The state follows the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }

    /// Waits until the process has exited; panics if it is still running after [`PATIENCE`].
    pub async fn wait_exit(&self, why: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.running() {
            assert!(
                Instant::now() < deadline,
                "dirsync-app (pid {}) still runs {PATIENCE:?} after {why}",
                self.pid
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts the same binary again with exactly this process's environment, as a second
    /// launch from the desktop would; returns its exit status (waiting at most [`PATIENCE`]).
    pub async fn launch_again(&self) -> std::process::ExitStatus {
        // The very binary the first instance runs, even if it was rebuilt since.
        let exe = PathBuf::from(format!("/proc/{}/exe", self.pid));
        let mut cmd = std::process::Command::new(&exe);
        cmd.env_clear();
        for entry in self.environ() {
            if let Some(eq) = entry.iter().position(|b| *b == b'=') {
                let (k, v) = entry.split_at(eq);
                cmd.env(
                    OsString::from_vec(k.to_vec()),
                    OsString::from_vec(v[1..].to_vec()),
                );
            }
        }
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the second dirsync-app did not exit within {PATIENCE:?}: no handoff");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn env_entry(name: &str, value: &std::ffi::OsStr) -> Vec<u8> {
    let mut entry = format!("{name}=").into_bytes();
    entry.extend_from_slice(value.as_encoded_bytes());
    entry
}

/// The X server of `DISPLAY` (Xvfb in the tests).
pub struct X11 {
    display: *mut x11::xlib::Display,
}

impl X11 {
    pub fn open() -> Self {
        let display = unsafe { x11::xlib::XOpenDisplay(std::ptr::null()) };
        assert!(!display.is_null(), "cannot open the X display");
        Self { display }
    }

    fn atom(&self, name: &str) -> x11::xlib::Atom {
        let name = CString::new(name).unwrap();
        unsafe { x11::xlib::XInternAtom(self.display, name.as_ptr(), x11::xlib::False) }
    }

    /// The top-level window titled `title` that process `pid` owns (`_NET_WM_PID`).
    pub fn window_of(&self, pid: i32, title: &str) -> Option<x11::xlib::Window> {
        let net_wm_pid = self.atom("_NET_WM_PID");
        unsafe {
            let root = x11::xlib::XDefaultRootWindow(self.display);
            let (mut root_ret, mut parent) = (0, 0);
            let mut children: *mut x11::xlib::Window = std::ptr::null_mut();
            let mut count = 0u32;
            if x11::xlib::XQueryTree(
                self.display,
                root,
                &mut root_ret,
                &mut parent,
                &mut children,
                &mut count,
            ) == 0
            {
                return None;
            }
            let windows = if children.is_null() {
                Vec::new()
            } else {
                let list = std::slice::from_raw_parts(children, count as usize).to_vec();
                x11::xlib::XFree(children.cast());
                list
            };
            windows.into_iter().find(|&w| {
                self.cardinal(w, net_wm_pid) == Some(pid as std::ffi::c_ulong)
                    && self.name(w).as_deref() == Some(title)
            })
        }
    }

    fn cardinal(
        &self,
        window: x11::xlib::Window,
        property: x11::xlib::Atom,
    ) -> Option<std::ffi::c_ulong> {
        unsafe {
            let (mut kind, mut format, mut items, mut after) = (0, 0, 0, 0);
            let mut data: *mut u8 = std::ptr::null_mut();
            let ok = x11::xlib::XGetWindowProperty(
                self.display,
                window,
                property,
                0,
                1,
                x11::xlib::False,
                x11::xlib::XA_CARDINAL,
                &mut kind,
                &mut format,
                &mut items,
                &mut after,
                &mut data,
            );
            if ok != 0 || data.is_null() {
                return None;
            }
            // Format-32 properties come back as C longs.
            let value: Option<std::ffi::c_ulong> =
                (items == 1 && format == 32).then(|| *(data as *const std::ffi::c_ulong));
            x11::xlib::XFree(data.cast());
            value
        }
    }

    fn name(&self, window: x11::xlib::Window) -> Option<String> {
        unsafe {
            let mut name: *mut std::ffi::c_char = std::ptr::null_mut();
            if x11::xlib::XFetchName(self.display, window, &mut name) == 0 || name.is_null() {
                return None;
            }
            let text = CStr::from_ptr(name).to_string_lossy().into_owned();
            x11::xlib::XFree(name.cast());
            Some(text)
        }
    }

    /// True when the window is shown (mapped and viewable).
    pub fn is_shown(&self, window: x11::xlib::Window) -> bool {
        unsafe {
            let mut attrs: x11::xlib::XWindowAttributes = std::mem::zeroed();
            x11::xlib::XGetWindowAttributes(self.display, window, &mut attrs) != 0
                && attrs.map_state == x11::xlib::IsViewable
        }
    }

    /// Iconifies the window as a window manager does (ICCCM: the manager unmaps it); GTK then
    /// reports the window minimized. Xvfb has no manager to do it for us.
    pub fn iconify(&self, window: x11::xlib::Window) {
        unsafe {
            x11::xlib::XUnmapWindow(self.display, window);
            x11::xlib::XSync(self.display, x11::xlib::False);
        }
    }

    /// Maps a plain window titled `title`, standing in for another program, and gives it the
    /// input focus.
    pub async fn another_program_with_focus(&self, title: &str) -> x11::xlib::Window {
        let window = unsafe {
            let root = x11::xlib::XDefaultRootWindow(self.display);
            let w = x11::xlib::XCreateSimpleWindow(self.display, root, 0, 0, 200, 100, 0, 0, 0);
            let name = CString::new(title).unwrap();
            x11::xlib::XStoreName(self.display, w, name.as_ptr());
            x11::xlib::XMapWindow(self.display, w);
            x11::xlib::XSync(self.display, x11::xlib::False);
            w
        };
        // Focusing a window that is not viewable yet is an X protocol error.
        self.wait_shown(window, true).await;
        unsafe {
            x11::xlib::XSetInputFocus(
                self.display,
                window,
                x11::xlib::RevertToParent,
                x11::xlib::CurrentTime,
            );
            x11::xlib::XSync(self.display, x11::xlib::False);
        }
        assert!(
            self.has_focus(window),
            "the stand-in program did not get the focus"
        );
        window
    }

    /// True when the keyboard focus is on `window` or inside it.
    pub fn has_focus(&self, window: x11::xlib::Window) -> bool {
        unsafe {
            let (mut focused, mut revert) = (0, 0);
            x11::xlib::XGetInputFocus(self.display, &mut focused, &mut revert);
            let root = x11::xlib::XDefaultRootWindow(self.display);
            // Walk up from the focused window: GTK may focus a child of its toplevel.
            let mut current = focused;
            while current != 0 && current != root && current != x11::xlib::PointerRoot as u64 {
                if current == window {
                    return true;
                }
                let (mut root_ret, mut parent) = (0, 0);
                let mut children: *mut x11::xlib::Window = std::ptr::null_mut();
                let mut count = 0u32;
                if x11::xlib::XQueryTree(
                    self.display,
                    current,
                    &mut root_ret,
                    &mut parent,
                    &mut children,
                    &mut count,
                ) == 0
                {
                    return false;
                }
                if !children.is_null() {
                    x11::xlib::XFree(children.cast());
                }
                current = parent;
            }
            false
        }
    }

    /// Waits until the keyboard focus is on `window` (or inside it).
    pub async fn wait_focused(&self, window: x11::xlib::Window) {
        let deadline = Instant::now() + PATIENCE;
        while !self.has_focus(window) {
            assert!(
                Instant::now() < deadline,
                "the window did not get the keyboard focus within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asks the window to close as a window manager's close button does.
    pub fn request_close(&self, window: x11::xlib::Window) {
        let protocols = self.atom("WM_PROTOCOLS");
        let delete = self.atom("WM_DELETE_WINDOW");
        unsafe {
            let mut event: x11::xlib::XEvent = std::mem::zeroed();
            event.client_message.type_ = x11::xlib::ClientMessage;
            event.client_message.window = window;
            event.client_message.message_type = protocols;
            event.client_message.format = 32;
            event
                .client_message
                .data
                .set_long(0, delete as std::ffi::c_long);
            event
                .client_message
                .data
                .set_long(1, x11::xlib::CurrentTime as std::ffi::c_long);
            x11::xlib::XSendEvent(
                self.display,
                window,
                x11::xlib::False,
                x11::xlib::NoEventMask,
                &mut event,
            );
            x11::xlib::XFlush(self.display);
        }
    }

    /// Waits for the app's main window ("Directory Sync") to exist.
    pub async fn main_window(&self, app: AppProcess) -> x11::xlib::Window {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(w) = self.window_of(app.pid, "Directory Sync") {
                return w;
            }
            assert!(
                Instant::now() < deadline,
                "pid {} has no window titled Directory Sync",
                app.pid
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the window is shown (`true`) or hidden (`false`).
    pub async fn wait_shown(&self, window: x11::xlib::Window, shown: bool) {
        let deadline = Instant::now() + PATIENCE;
        while self.is_shown(window) != shown {
            assert!(
                Instant::now() < deadline,
                "the window is still {} after {PATIENCE:?}",
                if shown { "hidden" } else { "shown" }
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for X11 {
    fn drop(&mut self) {
        unsafe {
            x11::xlib::XCloseDisplay(self.display);
        }
    }
}

/// A StatusNotifier host on the session bus, like a desktop panel's.
pub struct TrayHost {
    connection: zbus::Connection,
    items: Arc<Mutex<Vec<(String, String)>>>,
}

struct Watcher {
    items: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        // Items pass either their bus name or their object path.
        let (bus, path) = if service.starts_with('/') {
            (sender, service)
        } else {
            (service, "/StatusNotifierItem".to_string())
        };
        let full = format!("{bus}{path}");
        self.items.lock().unwrap().push((bus, path));
        let _ = Self::status_notifier_item_registered(&emitter, &full).await;
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .lock()
            .unwrap()
            .iter()
            .map(|(bus, path)| format!("{bus}{path}"))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// One entry of a dbusmenu layout.
#[derive(Debug, Clone)]
pub struct MenuEntry {
    pub id: i32,
    /// Without mnemonic underscores.
    pub label: String,
    pub enabled: bool,
    pub visible: bool,
}

impl TrayHost {
    /// Owns `org.kde.StatusNotifierWatcher` on the session bus until dropped.
    pub async fn start() -> Self {
        let items = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::connection::Builder::session()
            .expect("a session bus (run under dbus-run-session)")
            .name("org.kde.StatusNotifierWatcher")
            .unwrap()
            .serve_at(
                "/StatusNotifierWatcher",
                Watcher {
                    items: items.clone(),
                },
            )
            .unwrap()
            .build()
            .await
            .expect("the tray host owns org.kde.StatusNotifierWatcher");
        Self { connection, items }
    }

    /// Waits for a tray item to register; returns its bus name and object path.
    pub async fn item(&self) -> (String, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(item) = self.items.lock().unwrap().last().cloned() {
                return item;
            }
            assert!(
                Instant::now() < deadline,
                "no tray item registered with the tray host within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn menu_path(&self) -> (String, OwnedObjectPath) {
        let (bus, path) = self.item().await;
        let item = zbus::Proxy::new(
            &self.connection,
            bus.clone(),
            path,
            "org.kde.StatusNotifierItem",
        )
        .await
        .unwrap();
        let menu: OwnedObjectPath = item
            .get_property("Menu")
            .await
            .expect("the tray item exports a menu");
        (bus, menu)
    }

    /// The tray menu's entries, top level, as the panel would show them.
    pub async fn menu(&self) -> Vec<MenuEntry> {
        let (bus, path) = self.menu_path().await;
        let menu = zbus::Proxy::new(&self.connection, bus, path, "com.canonical.dbusmenu")
            .await
            .unwrap();
        type Layout = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);
        let (_revision, (_, _, children)): (u32, Layout) = menu
            .call("GetLayout", &(0i32, -1i32, Vec::<String>::new()))
            .await
            .expect("GetLayout answers");
        children
            .into_iter()
            .filter_map(|child| {
                let (id, props, _): Layout = child.try_into().ok()?;
                let text = |k: &str| {
                    props
                        .get(k)
                        .and_then(|v| <&str>::try_from(&**v).ok().map(str::to_string))
                };
                let flag = |k: &str| {
                    props
                        .get(k)
                        .and_then(|v| bool::try_from(&**v).ok())
                        .unwrap_or(true)
                };
                if text("type").as_deref() == Some("separator") {
                    return None;
                }
                Some(MenuEntry {
                    id,
                    label: text("label").unwrap_or_default().replace('_', ""),
                    enabled: flag("enabled"),
                    visible: flag("visible"),
                })
            })
            .collect()
    }

    /// Clicks the entry labelled `label`, as the panel does when the admin picks it.
    pub async fn click(&self, label: &str) {
        let entry = self
            .menu()
            .await
            .into_iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("the tray menu has no entry {label:?}"));
        let (bus, path) = self.menu_path().await;
        let menu = zbus::Proxy::new(&self.connection, bus, path, "com.canonical.dbusmenu")
            .await
            .unwrap();
        let () = menu
            .call("Event", &(entry.id, "clicked", Value::from(0i32), 0u32))
            .await
            .expect("the click reaches the tray menu");
    }
}

/// A notification daemon on the session bus that records every notification.
pub struct NotificationServer {
    _connection: zbus::Connection,
    shown: Arc<Mutex<Vec<(String, String)>>>,
}

struct Notifications {
    shown: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push((summary, body));
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "dirsync-e2e".into(),
            "dirsync".into(),
            "0".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

impl NotificationServer {
    pub async fn start() -> Self {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::connection::Builder::session()
            .expect("a session bus (run under dbus-run-session)")
            .name("org.freedesktop.Notifications")
            .unwrap()
            .serve_at(
                "/org/freedesktop/Notifications",
                Notifications {
                    shown: shown.clone(),
                },
            )
            .unwrap()
            .build()
            .await
            .expect("the notification server owns org.freedesktop.Notifications");
        Self {
            _connection: connection,
            shown,
        }
    }

    /// Waits for a notification whose title is `title`; returns its body.
    pub async fn wait_for(&self, title: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some((_, body)) = self.shown().into_iter().find(|(t, _)| t == title) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "no notification {title:?} within {PATIENCE:?}; shown: {:?}",
                self.shown()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn shown(&self) -> Vec<(String, String)> {
        self.shown.lock().unwrap().clone()
    }
}
