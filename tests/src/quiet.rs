//! Waiting for a process tree to go quiet: the CPU time its processes use,
//! read from `/proc`, falls below a bound over a window. The page bench uses
//! it so that a freshly started Chromium has finished its own start-up work
//! (a new profile's databases, its first renderer) before a page load is
//! timed: on two cores that work otherwise lands inside the measurement.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::process::poll_until;

/// How a tree counts as quiet: at most `max_busy` of CPU time over a
/// `window` of wall-clock time.
#[derive(Clone, Copy, Debug)]
pub struct Quiet {
    /// The wall-clock span measured.
    pub window: Duration,
    /// The most CPU time the whole tree may use within it.
    pub max_busy: Duration,
}

impl Quiet {
    /// Waits until the process `root` and its descendants are quiet, and
    /// answers how long that took; an error when they are still busy after
    /// `timeout`, or when `/proc` cannot be read. The tree's CPU time is
    /// sampled at the project's poll interval, and each sample is compared
    /// with the newest one at least a window older.
    pub fn wait_for(self, root: u32, timeout: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        let mut samples: VecDeque<(Instant, Duration)> = VecDeque::new();
        let mut busy = None;
        let mut unreadable = false;
        poll_until(timeout, "a quiet process tree", || {
            let used = tree_cpu_time(root).inspect_err(|_| unreadable = true)?;
            let now = Instant::now();
            samples.push_back((now, used));
            while samples
                .get(1)
                .is_some_and(|(at, _)| now.duration_since(*at) >= self.window)
            {
                samples.pop_front();
            }
            let Some(&(oldest_at, oldest_used)) = samples.front() else {
                return Ok(false);
            };
            if now.duration_since(oldest_at) < self.window {
                return Ok(false);
            }
            // A process that exited takes its time with it: never negative.
            let used_in_window = used.saturating_sub(oldest_used);
            busy = Some(used_in_window);
            Ok(used_in_window <= self.max_busy)
        })
        .map_err(|error| match (unreadable, busy) {
            (false, Some(busy)) => format!(
                "{error}: process {root} and its children still used {busy:?} of CPU in \
                 the last {:?}",
                self.window
            ),
            _ => error,
        })?;
        Ok(started.elapsed())
    }
}

/// The CPU time (user and system) used so far by `root` and every process
/// descending from it.
pub fn tree_cpu_time(root: u32) -> Result<Duration, String> {
    let processes = read_processes()?;
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, process) in &processes {
        children.entry(process.parent).or_default().push(pid);
    }
    let mut ticks = 0_u64;
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        if let Some(process) = processes.get(&pid) {
            ticks += process.cpu_ticks;
        }
        pending.extend(children.get(&pid).into_iter().flatten());
    }
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

/// What `tree_cpu_time` reads of one process.
struct Process {
    parent: u32,
    cpu_ticks: u64,
}

/// Every process's parent and CPU ticks. Processes that exit while the
/// directory is read are left out.
fn read_processes() -> Result<HashMap<u32, Process>, String> {
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("cannot list /proc: {e}"))?;
    let mut processes = HashMap::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(process) = parse_stat(&stat) {
            processes.insert(pid, process);
        }
    }
    Ok(processes)
}

/// Reads `/proc/<pid>/stat`: the fields after the command name (which may
/// hold spaces and parentheses, so it ends at the last `)`) are state,
/// parent, ..., and the 12th and 13th of them user and system ticks.
fn parse_stat(stat: &str) -> Option<Process> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let parent = fields.get(1)?.parse().ok()?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Process {
        parent,
        cpu_ticks: user + system,
    })
}

/// The kernel's clock ticks per second, the unit of `/proc/<pid>/stat`'s
/// times.
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_parent_and_ticks_even_with_a_strange_name() {
        let stat = "4242 (a (b) c) S 17 4242 4242 0 -1 4194304 100 0 0 0 \
                    250 40 0 0 20 0 1 0 123 456 789";
        let process = parse_stat(stat).expect("parsed");
        assert_eq!(process.parent, 17);
        assert_eq!(process.cpu_ticks, 290);
    }

    #[test]
    fn a_truncated_stat_line_is_left_out() {
        assert!(parse_stat("4242 (name) S 17 4242").is_none());
        assert!(parse_stat("no parenthesis").is_none());
    }

    /// A shell that waits for a child which spins: the shell itself is
    /// idle, so its tree is busy only if descendants are counted.
    struct Spinner(std::process::Child);

    impl Spinner {
        fn start() -> Spinner {
            let child = std::process::Command::new("sh")
                .args(["-c", "timeout 20 sh -c 'while :; do :; done' & wait"])
                .process_group(0)
                .spawn()
                .expect("sh starts");
            Spinner(child)
        }
    }

    impl Drop for Spinner {
        fn drop(&mut self) {
            // SAFETY: signals the process group this test started.
            unsafe { libc::kill(-(self.0.id() as i32), libc::SIGKILL) };
            let _ = self.0.wait();
        }
    }

    use std::os::unix::process::CommandExt as _;

    #[test]
    fn a_spinning_grandchild_makes_its_tree_busy() {
        let spinner = Spinner::start();
        // Generous for a loaded machine (a full test run on 2 cores): the
        // spinner gets far more than 5 ms of CPU in any 200 ms.
        let quiet = Quiet {
            window: Duration::from_millis(200),
            max_busy: Duration::from_millis(5),
        };
        let error = quiet
            .wait_for(spinner.0.id(), Duration::from_millis(1000))
            .expect_err("a spinning tree is not quiet");
        assert!(error.contains("still used"), "{error}");
        assert!(tree_cpu_time(spinner.0.id()).expect("readable") > Duration::ZERO);
    }

    #[test]
    fn an_idle_tree_is_quiet_within_a_window_or_two() {
        // A child that does nothing but wait for its end (the `sleep`
        // command, as an idle process to measure).
        let mut idle = std::process::Command::new("sleep")
            .arg("20")
            .spawn()
            .expect("an idle child starts");
        let quiet = Quiet {
            window: Duration::from_millis(100),
            max_busy: Duration::from_millis(20),
        };
        let waited = quiet.wait_for(idle.id(), Duration::from_secs(5));
        let _ = idle.kill();
        let _ = idle.wait();
        assert!(waited.expect("quiet") < Duration::from_secs(5));
    }
}
