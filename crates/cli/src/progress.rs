//! Progress display on stderr with indicatif: one bar per stage, drawn only
//! when stderr is a terminal (so logs and pipes stay clean).

use std::sync::Mutex;

use imaging_io::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A [`Progress`] that draws an indicatif bar for each stage.
pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    quiet: bool,
}

impl Bars {
    /// Bars on stderr, or none at all when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Bars {
            current: Mutex::new(None),
            quiet,
        }
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        let target = if self.quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(stage.to_string());
        if let Ok(mut slot) = self.current.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.current.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.current.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}
