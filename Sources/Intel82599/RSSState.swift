import Network
import RegisterModel

/// Receive-side scaling as MRQC, RSSRK and RETA configure it (datasheet §7.1.2.8).
struct RSSState {
    typealias R = Intel82599PFRegisters

    /// Toeplitz hasher over the 40-byte key in RSSRK.
    var hasher = RSSState.defaultHasher
    /// Hashers for the keys every device starts with (the default, and the all-zero key RSSRK
    /// resets to), made once per process: a table per device and per reset was 5% of a fuzz
    /// input that builds, resets and brings up a PF.
    private static let defaultHasher = ToeplitzHasher(key: ToeplitzKey.microsoftVerification)
    private static let zeroKeyHasher = ToeplitzKey(bytes: [UInt8](repeating: 0, count: 40)).map {
        ToeplitzHasher(key: $0)
    }
    /// The RSSRK bytes `hasher` was built from (building one costs a table; keys rarely change).
    private var hashedKey: [UInt8] = []
    /// Redirection table: 128 queue indexes (bits 3:0 of each RETA byte).
    var redirection = [UInt8](repeating: 0, count: 128)
    /// Hash fields MRQC enables.
    var fields = RSSFieldSelection()
    /// MRQC.MRQE.
    var mode: UInt64 = 0

    /// Whether frames are hashed: RSS alone or VMDq with RSS (kept with `mode` and `fields`, so
    /// the frame path reads one flag).
    private(set) var hashing = false

    /// Reloads key, table and mode from the registers.
    mutating func reload(from r: RegisterFile) {
        var key = [UInt8]()
        key.reserveCapacity(40)
        for n in 0..<R.RSSRK.count {
            let v = UInt32(truncatingIfNeeded: r.value(at: R.RSSRK.offset(n)))
            for b in 0..<4 { key.append(UInt8(truncatingIfNeeded: v >> UInt32(8 * b))) }
        }
        if key != hashedKey, let k = ToeplitzKey(bytes: key) {
            if let zero = Self.zeroKeyHasher, key.allSatisfy({ $0 == 0 }) {
                hasher = zero
            } else {
                hasher = ToeplitzHasher(key: k)
            }
            hashedKey = key
        }
        for n in 0..<R.RETA.count {
            let v = UInt32(truncatingIfNeeded: r.value(at: R.RETA.offset(n)))
            for b in 0..<4 { redirection[4 * n + b] = UInt8(truncatingIfNeeded: v >> UInt32(8 * b)) & 0x0F }
        }
        let mrqc = r.value(at: R.MRQC.offset)
        mode = R.MRQC.mrqe.extract(from: mrqc)
        fields = RSSFieldSelection(mrqc: UInt32(truncatingIfNeeded: mrqc))
        hashing = (mode == R.MRQC.MRQEValue.rss || mode == R.MRQC.MRQEValue.vmdqRSS32) && !fields.isEmpty
    }
}
