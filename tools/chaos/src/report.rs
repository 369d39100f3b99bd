//! The summary a run prints: the stream, the faults injected by kind, and
//! each invariant with its verdict and details.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::faults::{FaultKind, Injected};
use crate::invariants::Verdict;
use crate::workload::{Kind, Outcome};

/// Prints the summary; returns whether every invariant held.
pub fn print(
    outcome: &Outcome,
    final_states: &BTreeMap<String, usize>,
    faults: &[Injected],
    verdicts: &[Verdict],
    took: Duration,
) -> bool {
    println!();
    println!("== chroma-chaos summary ({:.0} s) ==", took.as_secs_f64());
    let submitted: u64 = outcome.submitted.values().sum();
    println!(
        "commands: {submitted} submitted, {} accepted, {} refused, {} unanswered",
        outcome.accepted.len(),
        outcome.refused.values().sum::<u64>(),
        outcome.unanswered
    );
    let mut accepted: BTreeMap<Kind, u64> = BTreeMap::new();
    for a in &outcome.accepted {
        *accepted.entry(a.kind).or_default() += 1;
    }
    for (kind, n) in &outcome.submitted {
        let refused: Vec<String> = outcome
            .refused
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|((_, status), n)| format!("{n}×{status}"))
            .collect();
        println!(
            "  {:<13} submitted {n:>5}, accepted {:>5}{}",
            kind.name(),
            accepted.get(kind).copied().unwrap_or(0),
            if refused.is_empty() {
                String::new()
            } else {
                format!(", refused {}", refused.join(" "))
            }
        );
    }
    for ((kind, status), message) in &outcome.refusal_samples {
        println!("    e.g. {} refused {status}: {message}", kind.name());
    }
    let cancels: Vec<String> = outcome
        .cancels
        .iter()
        .map(|((kind, route, status), n)| format!("{n}× {} by {route} → {status}", kind.name()))
        .collect();
    println!(
        "  cancellations asked: {} ({})",
        outcome.cancels.values().sum::<u64>(),
        cancels.join(", ")
    );
    let states: Vec<String> = final_states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!("  accepted commands' final states: {}", states.join(", "));
    println!("faults injected: {}", faults.len());
    for kind in FaultKind::ALL {
        let of: Vec<&Injected> = faults.iter().filter(|f| f.kind == kind).collect();
        let failed = of.iter().filter(|f| f.error.is_some()).count();
        let slowest = of.iter().map(|f| f.took).max().unwrap_or_default();
        println!(
            "  {:<42} {:>4}{} (slowest {:.1} s)",
            kind.name(),
            of.len(),
            if failed > 0 {
                format!(" ({failed} could not be injected)")
            } else {
                String::new()
            },
            slowest.as_secs_f64()
        );
    }
    println!("invariants:");
    let mut all = true;
    for v in verdicts {
        all &= v.held;
        println!("  [{}] {}", if v.held { "PASS" } else { "FAIL" }, v.name);
        for line in &v.details {
            println!("         {line}");
        }
    }
    println!(
        "{}",
        if all {
            "chaos: every invariant held"
        } else {
            "chaos: INVARIANT VIOLATED"
        }
    );
    all
}
