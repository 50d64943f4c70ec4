//! Reports made from results alone: the end-of-run text tables ([`text`]).
pub mod text;
