//! Runs an apply as stages in order — e.g. the security group, then the
//! endpoints, then the wait — with the steps of one stage concurrent. A
//! failed step stops the later stages but not its own stage's other steps,
//! so everything that can be made is made and recorded. Ctrl-C and the
//! operation's `timeouts` (both fire the context's cancel) stop new steps;
//! [`Applier::finish`] then names what was left undone, once.

use crate::aws::ec2::endpoints::CallError;
use crate::framework::{Context, Diagnostics};
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt};

/// Why a step has no result.
#[derive(Debug)]
pub enum StepError {
    /// Not done because the apply was stopped (Ctrl-C or its timeout).
    Stopped,
    /// AWS refused it or did not answer: why.
    Failed(String),
}

impl StepError {
    /// `detail` as a failure — or [`StepError::Stopped`] when `ctx` was
    /// cancelled, which is what ended the work (a wait that Ctrl-C or the
    /// timeout cut short).
    pub fn unless_stopped(ctx: &Context, detail: String) -> StepError {
        if ctx.cancel.is_cancelled() {
            StepError::Stopped
        } else {
            StepError::Failed(detail)
        }
    }
}

impl From<CallError> for StepError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Stopped(_) => StepError::Stopped,
            CallError::Failed(detail) => StepError::Failed(detail),
        }
    }
}

impl From<String> for StepError {
    fn from(detail: String) -> Self {
        StepError::Failed(detail)
    }
}

/// One step of a stage: what it is for (e.g. "the s3 endpoint") and its work.
pub struct Step<'a, T> {
    /// What it is for, named in the message when a stop leaves it undone.
    pub label: String,
    /// The work.
    pub work: BoxFuture<'a, Result<T, StepError>>,
}

impl<'a, T> Step<'a, T> {
    /// A step labelled `label`.
    pub fn new(
        label: impl Into<String>,
        work: impl std::future::Future<Output = Result<T, StepError>> + Send + 'a,
    ) -> Self {
        Step {
            label: label.into(),
            work: Box::pin(work),
        }
    }
}

/// The stages of one apply and what they found.
pub struct Applier<'a> {
    ctx: &'a Context,
    diags: Diagnostics,
    /// Labels of steps the stop left undone.
    undone: Vec<String>,
}

impl<'a> Applier<'a> {
    /// An apply under `ctx` (its cancel and deadline).
    pub fn new(ctx: &'a Context) -> Self {
        Applier {
            ctx,
            diags: Diagnostics::new(),
            undone: Vec::new(),
        }
    }

    /// True while no step failed and the apply was not stopped: the next
    /// stage may run.
    pub fn going(&self) -> bool {
        !self.diags.has_errors() && self.undone.is_empty() && !self.ctx.cancel.is_cancelled()
    }

    /// Runs one step, `work` for `label`, unless the apply is no longer
    /// going; its error is recorded under `summary`.
    pub async fn step<T, E: Into<StepError>>(
        &mut self,
        summary: &str,
        label: &str,
        work: impl std::future::Future<Output = Result<T, E>>,
    ) -> Option<T> {
        if !self.going() {
            if self.ctx.cancel.is_cancelled() {
                self.undone.push(label.to_owned());
            }
            return None;
        }
        match work.await.map_err(Into::into) {
            Ok(value) => Some(value),
            Err(StepError::Stopped) => {
                self.undone.push(label.to_owned());
                None
            }
            Err(StepError::Failed(detail)) => {
                self.diags.error(summary, detail);
                None
            }
        }
    }

    /// Runs the steps of one stage concurrently, at most `parallel` at once,
    /// unless the apply is no longer going. Each error is recorded under
    /// `summary` and stops no other step of the stage. Returns the results
    /// of the steps that succeeded, with their labels.
    pub async fn stage<T: Send + 'a>(
        &mut self,
        summary: &str,
        parallel: usize,
        steps: Vec<Step<'a, T>>,
    ) -> Vec<(String, T)> {
        if !self.going() {
            if self.ctx.cancel.is_cancelled() {
                self.undone.extend(steps.into_iter().map(|s| s.label));
            }
            return Vec::new();
        }
        let mut runs: Vec<BoxFuture<'a, (String, Result<T, StepError>)>> = Vec::new();
        for step in steps {
            let cancel = self.ctx.cancel.clone();
            runs.push(Box::pin(async move {
                if cancel.is_cancelled() {
                    return (step.label, Err(StepError::Stopped));
                }
                let result = step.work.await;
                (step.label, result)
            }));
        }
        let results: Vec<(String, Result<T, StepError>)> = stream::iter(runs)
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
        let mut done = Vec::new();
        for (label, result) in results {
            match result {
                Ok(value) => done.push((label, value)),
                Err(StepError::Stopped) => self.undone.push(label),
                Err(StepError::Failed(detail)) => self.diags.error(summary, detail),
            }
        }
        done
    }

    /// An applier for work that runs beside this one's (the same apply):
    /// what it records comes back with [`Applier::join`].
    pub fn fork(&self) -> Applier<'a> {
        Applier::new(self.ctx)
    }

    /// Takes back what a [`Applier::fork`] recorded: its errors stop later
    /// stages here too.
    pub fn join(&mut self, beside: Applier<'a>) {
        self.diags.extend(beside.diags);
        self.undone.extend(beside.undone);
    }

    /// Records an error found outside a step; later stages do not run.
    pub fn error(&mut self, summary: &str, detail: impl Into<String>) {
        self.diags.error(summary, detail.into());
    }

    /// Adds diagnostics a part returned; an error among them stops later
    /// stages.
    pub fn extend(&mut self, diags: Diagnostics) {
        self.diags.extend(diags);
    }

    /// The diagnostics of the apply: every error, and one naming what the
    /// stop left undone.
    pub fn finish(mut self) -> Diagnostics {
        if !self.undone.is_empty() || (self.ctx.cancel.is_cancelled() && !self.diags.has_errors()) {
            self.undone.sort_unstable();
            let what = if self.undone.is_empty() {
                String::new()
            } else {
                format!("; not done: {}", self.undone.join(", "))
            };
            let why = if self.ctx.timed_out() {
                "its timeout passed"
            } else {
                "Terraform asked the provider to stop (Ctrl-C)"
            };
            self.diags.error(
                "Stopped before the apply finished",
                format!(
                    "The apply was stopped: {why}{what}. Everything made so far is recorded in the \
                     state: run terraform apply again to finish."
                ),
            );
        }
        self.diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(label: &str) -> Step<'static, u32> {
        Step::new(label, async { Ok::<_, StepError>(1) })
    }

    #[tokio::test]
    async fn a_failed_stage_stops_the_next_but_not_its_siblings() {
        let ctx = Context::default();
        let mut applier = Applier::new(&ctx);
        let failing = Step::new("b", async { Err::<u32, _>(StepError::Failed("no".into())) });
        let done = applier
            .stage("Cannot make", 2, vec![ok("a"), failing])
            .await;
        assert_eq!(done.len(), 1);
        assert!(!applier.going());
        assert!(applier
            .step("Cannot make", "c", async { Ok::<_, StepError>(1) })
            .await
            .is_none());
        let diags = applier.finish();
        assert!(diags.has_errors());
    }

    #[tokio::test]
    async fn a_stop_names_what_was_left_undone() {
        let ctx = Context::default();
        let mut applier = Applier::new(&ctx);
        assert_eq!(
            applier
                .step("x", "the group", async { Ok::<_, StepError>(1) })
                .await,
            Some(1)
        );
        ctx.cancel.cancel();
        let done = applier
            .stage("x", 4, vec![ok("the s3 endpoint"), ok("the sts endpoint")])
            .await;
        assert!(done.is_empty());
        let text = format!("{:?}", applier.finish());
        assert!(
            text.contains("not done: the s3 endpoint, the sts endpoint"),
            "{text}"
        );
        assert!(text.contains("Ctrl-C"), "{text}");
    }

    #[tokio::test]
    async fn an_apply_that_finishes_has_no_diagnostics() {
        let ctx = Context::default();
        let mut applier = Applier::new(&ctx);
        applier.stage("x", 2, vec![ok("a"), ok("b")]).await;
        assert!(applier.going());
        assert!(!applier.finish().has_errors());
    }
}
