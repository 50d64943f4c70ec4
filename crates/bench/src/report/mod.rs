//! Reports made from results folders alone (mlstor's or DLIO's): the end-of-run text tables
//! ([`text`]), one [`view`] of a run that the others draw from, an HTML page with charts
//! ([`html`]), two runs side by side ([`compare`]), and an op-log's analysis ([`oplog`]).

pub mod compare;
pub mod html;
pub mod oplog;
pub mod text;
pub mod view;
