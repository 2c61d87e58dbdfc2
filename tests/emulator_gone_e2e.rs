//! Regression test for the emulator gone mid-apply: the apply went on for
//! 149 s of retries and ended with raw `DispatchFailure{… ConnectionRefused}`
//! errors. Now it must end within seconds, each error naming the endpoint,
//! saying the connection was refused and how often it was tried.
//!
//! The test kills the emulator this test binary shares ([`moto::shared`]),
//! so it must stay the only test in this file.

mod support;

use std::time::{Duration, Instant};
use support::ec2_fixture::fixture;
use support::moto;
use support::sagemaker::studio_network_workspace;

/// How long the apply may go on once the emulator is gone (it took 149 s).
const GIVE_UP_LIMIT: Duration = Duration::from_secs(40);

#[test]
fn with_the_emulator_gone_mid_apply_the_apply_ends_soon_and_says_why() {
    let fx = fixture();
    let ws = studio_network_workspace(&fx);
    let (output, took) = std::thread::scope(|scope| {
        let apply = scope.spawn(|| ws.run(&["apply", "-input=false", "-auto-approve"]));
        let started = Instant::now();
        while fx.endpoints().len() < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the create did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        support::signal("-9", &moto::shared().pid().to_string());
        let killed = Instant::now();
        let output = apply.join().expect("the apply thread");
        (output, killed.elapsed())
    });
    let text = support::one_line(&output.combined());
    eprintln!("the apply ended {took:?} after the emulator died");
    assert!(!output.success(), "the apply must fail:\n{text}");
    let endpoint = moto::shared().endpoint.clone();
    assert!(
        text.contains(&format!("cannot connect to {endpoint}: connection refused"))
            && text.contains("tried 9 times")
            && text.contains("not retrying further"),
        "the errors say which endpoint, what happened and how often it was tried:\n{text}"
    );
    assert!(
        !text.contains("DispatchFailure"),
        "no SDK debug output:\n{text}"
    );
    assert!(
        took < GIVE_UP_LIMIT,
        "the apply went on for {took:?} after the emulator died (limit {GIVE_UP_LIMIT:?})"
    );
}
