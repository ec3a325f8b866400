//! The missiond domain: configuration, storage, IPC protocol and client, tool catalogue.
