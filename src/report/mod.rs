//! Pictures and pages made from a scenario and its trace: the network as a
//! graph (DOT, Mermaid, SVG) and the self-contained HTML report.

pub mod graph;
pub mod html;
