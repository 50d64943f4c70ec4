//! The workloads shipped in `workloads/`, built into the binary so every command accepts a
//! workload name (`unet3d_h100`) from any directory: MLPerf Storage v3.0's files unmodified
//! (unet3d, retinanet, flux, dlrm, cosmoflow, resnet50 per accelerator; llama3 8b to 1t),
//! v2.0's where they ran otherwise (`unet3d_a100_v2`, `unet3d_h100_v2`: a checkpoint after
//! epoch 5), and a `_tiny` variant per model that runs in seconds (`flux_tiny` and
//! `dlrm_tiny` are parquet: they load, and run once parquet generation and reading exist).

/// (name, YAML text) of every shipped workload.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "cosmoflow_a100",
        include_str!("../../../workloads/cosmoflow_a100.yaml"),
    ),
    (
        "cosmoflow_h100",
        include_str!("../../../workloads/cosmoflow_h100.yaml"),
    ),
    (
        "cosmoflow_tiny",
        include_str!("../../../workloads/cosmoflow_tiny.yaml"),
    ),
    ("dlrm_a100", include_str!("../../../workloads/dlrm_a100.yaml")),
    ("dlrm_b200", include_str!("../../../workloads/dlrm_b200.yaml")),
    ("dlrm_h100", include_str!("../../../workloads/dlrm_h100.yaml")),
    ("dlrm_mi355", include_str!("../../../workloads/dlrm_mi355.yaml")),
    ("dlrm_tiny", include_str!("../../../workloads/dlrm_tiny.yaml")),
    ("flux_a100", include_str!("../../../workloads/flux_a100.yaml")),
    ("flux_b200", include_str!("../../../workloads/flux_b200.yaml")),
    ("flux_h100", include_str!("../../../workloads/flux_h100.yaml")),
    ("flux_mi355", include_str!("../../../workloads/flux_mi355.yaml")),
    ("flux_tiny", include_str!("../../../workloads/flux_tiny.yaml")),
    ("llama3_1t", include_str!("../../../workloads/llama3_1t.yaml")),
    ("llama3_405b", include_str!("../../../workloads/llama3_405b.yaml")),
    ("llama3_70b", include_str!("../../../workloads/llama3_70b.yaml")),
    ("llama3_8b", include_str!("../../../workloads/llama3_8b.yaml")),
    ("llama3_tiny", include_str!("../../../workloads/llama3_tiny.yaml")),
    (
        "resnet50_a100",
        include_str!("../../../workloads/resnet50_a100.yaml"),
    ),
    (
        "resnet50_h100",
        include_str!("../../../workloads/resnet50_h100.yaml"),
    ),
    (
        "resnet50_tiny",
        include_str!("../../../workloads/resnet50_tiny.yaml"),
    ),
    (
        "retinanet_a100",
        include_str!("../../../workloads/retinanet_a100.yaml"),
    ),
    (
        "retinanet_b200",
        include_str!("../../../workloads/retinanet_b200.yaml"),
    ),
    (
        "retinanet_h100",
        include_str!("../../../workloads/retinanet_h100.yaml"),
    ),
    (
        "retinanet_mi355",
        include_str!("../../../workloads/retinanet_mi355.yaml"),
    ),
    (
        "retinanet_tiny",
        include_str!("../../../workloads/retinanet_tiny.yaml"),
    ),
    ("unet3d_a100", include_str!("../../../workloads/unet3d_a100.yaml")),
    (
        "unet3d_a100_v2",
        include_str!("../../../workloads/unet3d_a100_v2.yaml"),
    ),
    ("unet3d_b200", include_str!("../../../workloads/unet3d_b200.yaml")),
    ("unet3d_h100", include_str!("../../../workloads/unet3d_h100.yaml")),
    (
        "unet3d_h100_v2",
        include_str!("../../../workloads/unet3d_h100_v2.yaml"),
    ),
    ("unet3d_tiny", include_str!("../../../workloads/unet3d_tiny.yaml")),
];

/// The YAML of the shipped workload `name`.
pub fn shipped(name: &str) -> Option<&'static str> {
    SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Names of the shipped workloads.
pub fn names() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(n, _)| *n)
}
