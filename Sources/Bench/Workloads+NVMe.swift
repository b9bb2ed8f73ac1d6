import BlockCrypto
import Drivers
import NVMe
import PCIe

/// One NVMe random-I/O workload: direction, queue depth, encryption.
public struct NVMeBenchShape: Sendable {
    /// Reads (true) or writes.
    public let read: Bool
    /// Commands kept in flight.
    public let queueDepth: Int
    /// XTS-AES-256 on the controller (instance storage) or plaintext (unencrypted EBS).
    public let encrypted: Bool

    /// Every shape the issue asks for: read and write, queue depth 1, 32 and 128, with and without XTS.
    public static let all: [NVMeBenchShape] = [true, false].flatMap { read in
        [1, 32, 128].flatMap { qd in [false, true].map { NVMeBenchShape(read: read, queueDepth: qd, encrypted: $0) } }
    }

    /// `nvme-4k-randread-qd32-xts`.
    public var name: String {
        "nvme-4k-rand\(read ? "read" : "write")-qd\(queueDepth)-\(encrypted ? "xts" : "plain")"
    }
}

/// A controller with one 4 KiB-formatted namespace bound to the reference driver on one I/O
/// queue, a working set of `span` blocks written once at setup (so reads decrypt real data, not
/// deallocated blocks), and a deterministic LBA sequence.
final class NVMeBenchFixture {
    static let blockSize = 4096
    static let span: UInt64 = 16_384  // 64 MiB working set
    let bus = PCIBus()
    let driver: NVMeDriver<BusDeviceAccess>
    let buffers: DMABuffer
    let shape: NVMeBenchShape
    /// Where ``reap()`` collects completions: fixed storage, so reaping takes no dynamic
    /// exclusivity check or uniqueness check on the command path.
    let completions: UnsafeMutableBufferPointer<NVMeCompletion>
    /// Where the LBA sequence starts (the speed-of-light loop walks the same sequence).
    static let seed: UInt64 = 0x6e76_6d65_6265_6e63
    var rng: UInt64 = NVMeBenchFixture.seed
    var nextBuffer = 0
    var failures = 0

    init(_ shape: NVMeBenchShape) throws {
        self.shape = shape
        let bdf = BDF(bus: 0, device: 4, function: 0)
        let configuration = NVMeControllerConfiguration(
            kind: shape.encrypted ? .instanceStore(serial: "AWSBENCH") : .ebs(volumeID: "vol-bench", blockDeviceName: "/dev/sdb"),
            capacityBytes: Self.span * UInt64(Self.blockSize), blockSize: Self.blockSize, backing: .memory,
            encrypted: shape.encrypted, ioQueuePairs: 1)
        do {
            try bus.attach(try NVMe.makeController(at: bdf, services: bus.services, configuration: configuration))
            Firmware(bus: bus).enumerateAndAssign()
            driver = try NVMeDriver(
                access: bus.access(bdf), configuration: .init(ioQueueCount: 1, ioQueueDepth: max(shape.queueDepth + 1, 2)))
            try driver.start()
            buffers = try driver.access.allocateDMA(max(shape.queueDepth, 1) * Self.blockSize)
        } catch {
            throw BenchSetupError(description: "NVMe \(shape.name): \(error)")
        }
        completions = .allocate(capacity: max(shape.queueDepth, 1))
        completions.initialize(repeating: NVMeCompletion())
        for i in 0..<buffers.host.count { buffers.host[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        // Fill the working set, 32 blocks (128 KiB) per command.
        let chunk = 32
        let fill = try? driver.access.allocateDMA(chunk * Self.blockSize)
        if let fill {
            var lba: UInt64 = 0
            while lba < Self.span {
                do {
                    try driver.write(lba: lba, blocks: chunk, from: fill)
                } catch {
                    throw BenchSetupError(description: "NVMe \(shape.name): fill at LBA \(lba): \(error)")
                }
                lba += UInt64(chunk)
            }
        }
    }

    deinit { completions.deallocate() }

    /// The next random LBA of the working set (SplitMix64 over `state`).
    @inline(__always) static func nextLBA(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return (z ^ (z >> 31)) & (Self.span - 1)
    }

    /// Posts one command on a buffer slot no command in flight uses (completions come in order).
    @inline(__always) func post() -> Bool {
        let offset = nextBuffer * Self.blockSize
        nextBuffer = nextBuffer + 1 == shape.queueDepth ? 0 : nextBuffer + 1
        let lba = Self.nextLBA(&rng)
        do {
            if shape.read {
                _ = try driver.submitRead(queue: 0, lba: lba, blocks: 1, into: buffers, offset: offset)
            } else {
                _ = try driver.submitWrite(queue: 0, lba: lba, blocks: 1, from: buffers, offset: offset)
            }
            return true
        } catch {
            failures += 1
            return false
        }
    }

    /// Reaps what completed; counts failed statuses.
    @inline(__always) func reap() -> Int {
        let n = driver.reap(queue: 0, into: completions)
        for i in 0..<n where !completions[i].status.isSuccess { failures += 1 }
        return n
    }

    /// Completes `commands` commands keeping the queue depth: post until the queue is full, one
    /// doorbell, reap, repeat. `posted` runs after each successful post, `reaped` with the count
    /// of each reap. Returns commands completed.
    @inline(__always)
    func drive(commands: Int, posted onPost: () -> Void, reaped onReap: (Int) -> Void) -> Int {
        var posted = 0
        var done = 0
        while done < commands {
            var batch = 0
            while driver.outstanding(queue: 0) < shape.queueDepth, posted < commands, post() {
                onPost()
                posted += 1
                batch += 1
            }
            if batch > 0 { driver.ringDoorbell(queue: 0) }
            let n = reap()
            if n == 0, batch == 0 { break }
            onReap(n)
            done += n
        }
        return done
    }

    /// Completes `commands` commands at the queue depth (the timed body).
    func run(commands: Int) -> Int { drive(commands: commands, posted: {}, reaped: { _ in }) }

    /// Latency of `commands` commands at the queue depth, posting to reaped completion.
    func latencies(commands: Int) -> [Double] {
        let clock = ContinuousClock()
        var submitted = [ContinuousClock.Instant](repeating: clock.now, count: max(shape.queueDepth, 1))
        var head = 0
        var tail = 0
        var out: [Double] = []
        out.reserveCapacity(commands)
        _ = drive(
            commands: commands,
            posted: {
                submitted[tail] = clock.now
                tail = tail + 1 == submitted.count ? 0 : tail + 1
            },
            reaped: { n in
                let now = clock.now
                for _ in 0..<n {
                    out.append(BenchRunner.nanoseconds(submitted[head].duration(to: now)))
                    head = head + 1 == submitted.count ? 0 : head + 1
                }
            })
        return out
    }
}

/// The speed-of-light of one 4 KiB command: the memory and cipher work the command needs and
/// nothing else. A store of the same size, backed and placed as the model's (2 MiB aligned,
/// transparent huge pages), filled once; a block picked by the same random sequence; the same
/// cache hints the model gives (above queue depth 1 the next block's first bytes are asked for
/// while one block is worked on, as the model fetches one command ahead); then OpenSSL's
/// EVP_aes_256_xts through the same shim (or a
/// copy, unencrypted) between that block and one of `queueDepth` 4 KiB buffers, reads from the
/// store, writes to it. What is left between this loop and the model is emulation: driver,
/// doorbells, queues, PRPs, completions.
///
/// It is not `openssl speed`, which ciphers one buffer that never leaves the L1 cache; the report
/// gives both, so a gap can be told apart into what the store's memory costs and what emulation
/// costs.
final class NVMeReference {
    let store: GuestMemoryRegion
    let buffers: HostBuffer
    let cipher: XTSAES256?
    let shape: NVMeBenchShape
    var rng = NVMeBenchFixture.seed
    var slot = 0
    /// Above queue depth 1, the LBA after the one being worked on, whose first bytes were asked
    /// for ahead (as the model asks for the next command's block while it runs one).
    var upcoming: UInt64?

    init(_ shape: NVMeBenchShape) throws {
        self.shape = shape
        let blockSize = NVMeBenchFixture.blockSize
        cipher = shape.encrypted ? try XTSAES256() : nil
        store = GuestMemoryRegion(base: GuestPhysicalAddress(0), allocating: Int(NVMeBenchFixture.span) * blockSize)
        buffers = HostBuffer(bytes: max(shape.queueDepth, 1) * blockSize)
        for i in 0..<max(shape.queueDepth, 1) * blockSize {
            buffers.pointer.storeBytes(of: UInt8(truncatingIfNeeded: i &* 131 &+ 7), toByteOffset: i, as: UInt8.self)
        }
        // Every block written once, as the fixture's fill does (ciphertext when encrypted).
        for lba in 0..<NVMeBenchFixture.span {
            let block = store.host + Int(lba) * blockSize
            if let cipher {
                _ = cipher.encrypt(buffers.pointer, block, length: blockSize, dataUnit: lba)
            } else {
                block.copyMemory(from: buffers.pointer, byteCount: blockSize)
            }
        }
    }

    func run(_ n: Int) -> UInt64 {
        let blockSize = NVMeBenchFixture.blockSize
        let hint = NVMe.prefetchBytes
        var sum: UInt64 = 0
        // The model gives no hint for a plaintext write: it streams the block past the cache.
        let hinted = shape.read || cipher != nil
        // The hint the model gives when it fetches the command for block `lba`.
        func fetched(_ lba: UInt64) {
            if hinted { CacheControl.prefetch(store.host + Int(lba) * blockSize, length: hint, forWriting: !shape.read) }
        }
        for _ in 0..<n {
            // A block's command is fetched at its turn at QD 1, above it while the command before
            // it runs; for reads the next stretch is asked for just before the cipher starts.
            let lba: UInt64
            if let ahead = upcoming {
                lba = ahead
            } else {
                lba = NVMeBenchFixture.nextLBA(&rng)
                fetched(lba)
            }
            if shape.queueDepth > 1 {
                let next = NVMeBenchFixture.nextLBA(&rng)
                upcoming = next
                fetched(next)
            }
            let block = store.host + Int(lba) * blockSize
            let buffer = buffers.pointer + slot * blockSize
            slot = slot + 1 == max(shape.queueDepth, 1) ? 0 : slot + 1
            switch (shape.read, cipher) {
            case (true, let cipher?):
                CacheControl.prefetch(block + hint, length: 2 * hint, forWriting: false)
                if cipher.decrypt(block, buffer, length: blockSize, dataUnit: lba) { sum &+= 1 }
            case (false, let cipher?):
                if cipher.encrypt(buffer, block, length: blockSize, dataUnit: lba) { sum &+= 1 }
            case (true, nil):
                buffer.copyMemory(from: block, byteCount: blockSize)
                sum &+= UInt64(buffer.load(fromByteOffset: Int(lba & 0xFFF), as: UInt8.self))
            case (false, nil):
                CacheControl.copyStreaming(to: block, from: buffer, length: blockSize)
                sum &+= 1
            }
        }
        return sum
    }
}

extension BenchWorkload {
    /// 4 KiB random reads or writes through the reference driver at a queue depth, one I/O
    /// queue, one core; the model resolves PRPs, checks the LBA range and, encrypted, runs
    /// XTS-AES-256 per block between guest memory and the store.
    public static func nvmeRandomIO(_ shape: NVMeBenchShape) -> BenchWorkload {
        BenchWorkload(
            name: shape.name, operation: "command",
            summary: "NVMe 4 KiB random \(shape.read ? "read" : "write") at QD \(shape.queueDepth) over a 64 MiB working set, "
                + (shape.encrypted ? "XTS-AES-256 on the controller" : "plaintext store")
                + ": driver posts SQEs, one SQ doorbell per batch, the model fetches, resolves PRP1, copies"
                + (shape.encrypted ? "/ciphers" : "") + " 4 KiB, posts the CQE; driver reaps with one CQ doorbell",
            speedOfLightSummary: "C loop over a store like the model's: a random block of the same 64 MiB, the model's "
                + "prefetch hints, then "
                + (shape.encrypted ? "OpenSSL EVP_aes_256_xts (same shim) " : "a 4 KiB copy ")
                + (shape.read
                    ? "from the block into one of \(shape.queueDepth) buffers"
                    : "from one of \(shape.queueDepth) buffers into the block"),
            operationsPerIteration: shape.queueDepth, bytesPerOperation: NVMeBenchFixture.blockSize
        ) {
            let fixture = try NVMeBenchFixture(shape)
            let reference = try NVMeReference(shape)
            return BenchInstance(
                emulated: { n in UInt64(fixture.run(commands: n * shape.queueDepth)) },
                speedOfLight: { n in reference.run(n * shape.queueDepth) },
                failures: { fixture.failures },
                latency: { n in fixture.latencies(commands: n) },
                owner: fixture)
        }
    }
}
