//! `mlstor report DIR --html OUT`: one self-contained page (no network: its CSS and the
//! script that draws the charts as SVG are inline) made from a run's [`RunView`], which the
//! page carries as JSON.

use super::view::RunView;

const TEMPLATE: &str = include_str!("template.html");
const PLACEHOLDER: &str = r#"{"__mlstor_report_data__": true}"#;

/// The page of `view`.
pub fn render(view: &RunView) -> String {
    render_model(view)
}

/// The page of any model with the fields the template draws (`title`, `kind`, `facts`,
/// `tables`, `bar_charts`, `cdf_charts`, ...): `mlstor compare` uses it too.
pub fn render_model<T: serde::Serialize>(model: &T) -> String {
    // JSON inside a <script> element: no "<" may appear, or "</script>" could end it.
    let json = serde_json::to_string(model)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c");
    TEMPLATE.replacen(PLACEHOLDER, &json, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_cannot_close_its_script() {
        assert_eq!(TEMPLATE.matches(PLACEHOLDER).count(), 1, "one placeholder");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dlio/v3.0.2/train_eval");
        let folder = crate::results::read::RunFolder::open(&dir).expect("folder");
        let mut view = RunView::of(&folder);
        view.title = "</script><script>alert(1)</script>".into();
        let page = render(&view);
        assert!(!page.contains(PLACEHOLDER));
        assert!(!page.contains("</script><script>alert(1)"), "escaped");
        assert!(page.contains("\\u003c/script>\\u003cscript>alert(1)"));
    }
}
