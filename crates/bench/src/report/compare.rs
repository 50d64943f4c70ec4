//! `mlstor report A B`: two runs side by side, like `warp cmp`: every headline figure both
//! runs have, its change from A to B in percent, and whether that is better or worse.

use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use serde::Serialize;

use super::view::{Better, RunView};

/// Changes within this many percent count as the same.
const SAME_PERCENT: f64 = 1.0;

/// One figure of two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub name: String,
    pub unit: &'static str,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// `(b - a) / a` in percent, when both exist and `a` is not 0.
    pub change_percent: Option<f64>,
    /// `better`, `worse`, `same` (within 1%), or empty when the figure has no direction or
    /// one run lacks it.
    pub verdict: &'static str,
}

/// The figures of `a` and `b`, in `a`'s order, then those only `b` has.
pub fn compare(a: &RunView, b: &RunView) -> Vec<Change> {
    let mut names: Vec<&str> = a.figures.iter().map(|f| f.name.as_str()).collect();
    for f in &b.figures {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let fa = a.figures.iter().find(|f| f.name == name);
            let fb = b.figures.iter().find(|f| f.name == name);
            let (unit, better) = fa.or(fb).map_or(("", Better::Neither), |f| (f.unit, f.better));
            let (va, vb) = (fa.map(|f| f.value), fb.map(|f| f.value));
            let change = match (va, vb) {
                (Some(x), Some(y)) if x != 0.0 => Some((y - x) / x.abs() * 100.0),
                _ => None,
            };
            let verdict = match (change, better) {
                (Some(c), Better::Higher | Better::Lower) if c.abs() < SAME_PERCENT => "same",
                (Some(c), Better::Higher) => {
                    if c > 0.0 {
                        "better"
                    } else {
                        "worse"
                    }
                }
                (Some(c), Better::Lower) => {
                    if c < 0.0 {
                        "better"
                    } else {
                        "worse"
                    }
                }
                _ => "",
            };
            Change {
                name: name.to_string(),
                unit,
                a: va,
                b: vb,
                change_percent: change,
                verdict,
            }
        })
        .collect()
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.abs() >= 100.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

/// The comparison as a table and a one-line verdict.
pub fn render(a: &RunView, b: &RunView, changes: &[Change]) -> String {
    let mut out = format!(
        "A: {} ({}, {})\nB: {} ({}, {})\n",
        a.title, a.source, a.folder, b.title, b.source, b.folder
    );
    if a.kind != b.kind {
        out.push_str(&format!(
            "note: A is a {} run and B a {} run; only figures both have compare\n",
            a.kind, b.kind
        ));
    }
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    t.set_header(vec!["figure", "unit", "A", "B", "change", ""]);
    for c in changes {
        t.add_row(vec![
            c.name.clone(),
            c.unit.to_string(),
            num(c.a),
            num(c.b),
            c.change_percent
                .map_or_else(|| "-".into(), |p| format!("{p:+.1}%")),
            c.verdict.to_string(),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    let count = |v: &str| changes.iter().filter(|c| c.verdict == v).count();
    let compared = count("better") + count("worse") + count("same");
    out.push_str(&format!(
        "B against A: better in {}, worse in {}, within {SAME_PERCENT}% in {} of {compared} compared figure(s)\n",
        count("better"),
        count("worse"),
        count("same"),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::Figure;

    fn view(figures: &[(&str, f64, Better)]) -> RunView {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dlio/v3.0.2/train_eval");
        let mut v = RunView::of(&crate::results::read::RunFolder::open(&dir).expect("folder"));
        v.figures = figures
            .iter()
            .map(|(n, x, b)| Figure {
                name: n.to_string(),
                value: *x,
                unit: "u",
                better: *b,
            })
            .collect();
        v
    }

    #[test]
    fn changes_and_verdicts() {
        let a = view(&[
            ("tp", 100.0, Better::Higher),
            ("lat", 10.0, Better::Lower),
            ("size", 5.0, Better::Neither),
            ("flat", 50.0, Better::Higher),
            ("a only", 1.0, Better::Higher),
        ]);
        let b = view(&[
            ("tp", 150.0, Better::Higher),
            ("lat", 12.0, Better::Lower),
            ("size", 6.0, Better::Neither),
            ("flat", 50.2, Better::Higher),
            ("b only", 1.0, Better::Lower),
        ]);
        let c = compare(&a, &b);
        let v: Vec<(&str, &str)> = c.iter().map(|c| (c.name.as_str(), c.verdict)).collect();
        assert_eq!(
            v,
            [
                ("tp", "better"),
                ("lat", "worse"),
                ("size", ""),
                ("flat", "same"),
                ("a only", ""),
                ("b only", "")
            ]
        );
        assert_eq!(c[0].change_percent, Some(50.0));
        assert_eq!(c[4].b, None);
        let text = render(&a, &b, &c);
        assert!(
            text.contains("better in 1, worse in 1, within 1% in 1 of 3"),
            "{text}"
        );
        assert!(text.contains("+50.0%"), "{text}");
    }
}
