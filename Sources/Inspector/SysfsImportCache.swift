import PCIe

/// What ``SysfsImporter/read(reusing:)`` keeps between reads: each function directory's
/// reading, with the directory's contents it was made from. A function's reading is a pure
/// function of its directory's path and of the files and links under it (the importer looks
/// only at `DIR/name` paths of ASCII names, which no other path's bytes can equal), so a
/// directory whose contents are byte for byte the same reads the same.
public final class SysfsImportCache {
    struct Reading {
        let directory: String
        let contents: SysfsSubtree
        let function: ListedFunction?
        let problems: [ListingProblem]
    }

    /// The last read's readings by function directory.
    var readings: [String: Reading] = [:]

    /// An empty cache.
    public init() {}
}

extension SysfsImporter {
    /// ``read()``, with each function directory whose contents (per the source's
    /// ``SysfsSource/contents(under:)``) are byte for byte those of the last read through
    /// `cache` taken from that read instead of read again. The cache then holds this read's.
    public func read(reusing cache: SysfsImportCache) -> ListingInput { read(cache: cache) }

    /// The function in `dir` and its problems (appended to `problems`), from `cache` when its
    /// contents did not change; the reading goes into `readings` either way.
    func readFunction(
        _ dir: String, _ address: (domain: UInt16, bdf: BDF), _ cache: SysfsImportCache,
        into readings: inout [String: SysfsImportCache.Reading], _ problems: inout [ListingProblem]
    ) -> ListedFunction? {
        guard let contents = source.contents(under: dir) else { return readFunction(dir, address, &problems) }
        if let hit = cache.readings[dir], SysfsEntry.sameBytes(hit.directory, dir), hit.contents == contents {
            problems += hit.problems
            readings[dir] = hit
            return hit.function
        }
        var own: [ListingProblem] = []
        let function = readFunction(dir, address, &own)
        problems += own
        readings[dir] = SysfsImportCache.Reading(directory: dir, contents: contents, function: function, problems: own)
        return function
    }
}
