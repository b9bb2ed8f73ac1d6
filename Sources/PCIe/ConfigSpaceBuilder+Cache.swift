extension ConfigSpaceBuilder {
    /// Configurations remembered per process; past this many distinct ones, spaces are built
    /// and not remembered (a bench that gives every function a different serial number).
    public static let cachedConfigurationLimit = 256

    /// ``build(_:)``, remembered per process: the first function of a configuration builds its
    /// space, every later one gets a copy of it (``ConfigSpace`` is a value; the copy shares
    /// storage until the function first writes it). The space is a function of the
    /// configuration alone, so a copy is the same bytes, masks and capability offsets a build
    /// gives. A fuzz fixture per input built the same three or four spaces every time (5% of an
    /// `ena` input). Errors are not remembered: a failing configuration is built (and throws)
    /// every time.
    public static func cachedBuild(_ configuration: FunctionConfiguration) throws(ConfigurationError) -> (
        ConfigSpace, CapabilityOffsets
    ) {
        if let built = builtSpaces.lookup(configuration) { return built }
        let built = try build(configuration)
        builtSpaces.remember(configuration, built)
        return built
    }

    /// Configurations remembered right now (for tests).
    public static var cachedConfigurationCount: Int { builtSpaces.count }

    private static let builtSpaces = BuiltSpaceCache()
}

/// Built spaces by configuration, behind a lock (tests build functions on several threads).
private final class BuiltSpaceCache: @unchecked Sendable {
    private let lock = ProcessLock()
    private var spaces: [FunctionConfiguration: (ConfigSpace, CapabilityOffsets)] = [:]

    func lookup(_ configuration: FunctionConfiguration) -> (ConfigSpace, CapabilityOffsets)? {
        lock.withLock { spaces[configuration] }
    }

    func remember(_ configuration: FunctionConfiguration, _ built: (ConfigSpace, CapabilityOffsets)) {
        lock.withLock {
            guard spaces.count < ConfigSpaceBuilder.cachedConfigurationLimit else { return }
            spaces[configuration] = built
        }
    }

    var count: Int { lock.withLock { spaces.count } }
}
