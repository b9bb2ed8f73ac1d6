/// Order statistics of one set of timing samples (nanoseconds per operation).
///
/// Percentiles interpolate linearly between closest ranks (the "type 7" definition R and NumPy
/// use by default), so the median of an even count is the mean of the two middle samples.
public struct BenchStatistics: Codable, Sendable, Equatable {
    /// Number of samples.
    public var count: Int
    /// 50th percentile.
    public var median: Double
    /// Smallest sample.
    public var min: Double
    /// Largest sample.
    public var max: Double
    /// 10th percentile.
    public var p10: Double
    /// 90th percentile.
    public var p90: Double
    /// Median absolute deviation from the median (unscaled).
    public var mad: Double

    /// Summarises `samples`; nil when there are none or one is not finite.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty, samples.allSatisfy(\.isFinite) else { return nil }
        let sorted = samples.sorted()
        count = sorted.count
        median = Self.percentile(sorted, 0.5)
        min = sorted[0]
        max = sorted[sorted.count - 1]
        p10 = Self.percentile(sorted, 0.1)
        p90 = Self.percentile(sorted, 0.9)
        let center = median
        mad = Self.percentile(sorted.map { abs($0 - center) }.sorted(), 0.5)
    }

    /// The `p` quantile (0...1, clamped) of ascending `sorted` samples, interpolating linearly
    /// between closest ranks; 0 for an empty array.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard let first = sorted.first else { return 0 }
        guard sorted.count > 1 else { return first }
        let q = Swift.min(Swift.max(p.isNaN ? 0 : p, 0), 1)
        let h = q * Double(sorted.count - 1)
        let lower = Int(h.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
    }

    /// Relative spread: MAD / median (0 when the median is 0).
    public var relativeSpread: Double { median > 0 ? mad / median : 0 }
}
