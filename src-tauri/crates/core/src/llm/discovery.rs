//! Server discovery.
