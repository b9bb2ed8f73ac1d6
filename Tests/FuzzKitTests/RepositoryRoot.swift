import Foundation

/// The repository's top directory (this file is in Tests/FuzzKitTests), for the fixtures and the
/// `Fuzz/` tree the tests read.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
