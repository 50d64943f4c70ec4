//! The workloads shipped in `workloads/`, built into the binary so every command accepts a
//! workload name (`unet3d_h100`) from any directory.

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
    ("unet3d_a100", include_str!("../../../workloads/unet3d_a100.yaml")),
    ("unet3d_h100", include_str!("../../../workloads/unet3d_h100.yaml")),
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
