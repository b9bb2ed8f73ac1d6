import NVMe
import PCIe

extension NVMeDriver {
    /// Identify with `cns` for `namespace`; returns the 4096-byte data structure.
    public func identify(_ cns: IdentifyCNS, namespace: UInt32 = 0) throws(NVMeDriverError) -> [UInt8] {
        try admin(.identify, namespace: namespace, [10: UInt32(cns.rawValue)], dataLength: 4096)
        return Array(adminDataBytes(4096))
    }

    /// Identify Controller; sets ``identity`` and ``maximumTransferBytes`` (MDTS).
    func identifyController() throws(NVMeDriverError) {
        let data = try identify(.controller)
        let id = data.withUnsafeBytes { NVMeControllerIdentity(parsing: $0) }
        identity = id
        var limit = configuration.maximumTransferBytes / pageSize * pageSize
        if id.maximumDataTransferShift > 0, id.maximumDataTransferShift < 20 {
            limit = min(limit, capabilities.minimumPageSize << id.maximumDataTransferShift)
        }
        maximumTransferBytes = limit
        asyncEventTarget = min(max(configuration.asyncEventRequests, 0), id.asyncEventRequestLimit + 1)
    }

    /// Asks for every SMART critical warning and the namespace attribute and firmware activation
    /// notices. Controllers that reject some of those bits still work; the request is best effort.
    func configureAsyncEvents() throws(NVMeDriverError) {
        guard asyncEventTarget > 0 else { return }
        do {
            try setFeature(.asyncEventConfiguration, value: 0xFF | 1 << 8 | 1 << 9)
        } catch .command {
            return
        }
    }

    /// Set Features Number of Queues, then Create I/O CQ and SQ for each granted queue pair;
    /// queue memory is allocated on the first start and reused after resets.
    func createIOQueues() throws(NVMeDriverError) {
        let wanted = configuration.ioQueueCount
        let result = try setFeature(.numberOfQueues, value: UInt32(wanted - 1) << 16 | UInt32(wanted - 1))
        let granted = Int(min(result & 0xFFFF, result >> 16)) + 1
        let count = min(wanted, granted)
        let depth = min(configuration.ioQueueDepth, capabilities.maximumQueueEntries)
        let lists = NVMeQueuePair.listPages(forTransfer: maximumTransferBytes, pageSize: pageSize)
        if ioQueues.count > count || ioQueues.first.map({ $0.listPagesPerSlot < lists }) == true {
            ioQueues.removeAll()
        }
        while ioQueues.count < count {
            let id = ioQueues.count + 1
            let vector = msixVectors > 1 ? 1 + (id - 1) % (msixVectors - 1) : 0
            ioQueues.append(
                try NVMeQueuePair(
                    id: id, entries: depth, pageSize: pageSize, listPagesPerSlot: lists, vector: vector,
                    doorbellStride: capabilities.doorbellStride, access: access))
        }
        for q in ioQueues {
            let size = UInt32(q.entries - 1) << 16 | UInt32(q.id)
            let interrupts: UInt32 = usesInterrupts ? 1 << 1 : 0
            try admin(
                .createIOCQ,
                [
                    6: UInt32(truncatingIfNeeded: q.cq.address), 7: UInt32(truncatingIfNeeded: q.cq.address >> 32),
                    10: size, 11: UInt32(q.vector) << 16 | interrupts | 1,
                ])
            try admin(
                .createIOSQ,
                [
                    6: UInt32(truncatingIfNeeded: q.sq.address), 7: UInt32(truncatingIfNeeded: q.sq.address >> 32),
                    10: size, 11: UInt32(q.id) << 16 | 1,
                ])
        }
    }

    /// Identify Active Namespace ID List (falling back to 1...NN), then Identify Namespace for
    /// each; sets ``namespaces`` and the I/O path's geometry.
    func identifyNamespaces() throws(NVMeDriverError) {
        var ids: [UInt32] = []
        do {
            let list = try identify(.activeNamespaceList)
            for i in 0..<1024 {
                let id = NVMeBytes(list).u32(i * 4)
                if id == 0 { break }
                ids.append(id)
            }
        } catch .command {
            ids = Array(1...max(min(identity?.namespaceCount ?? 1, 1024), 1))
        }
        var found: [NVMeNamespace] = []
        for id in ids {
            let data = try identify(.namespace, namespace: id)
            let ns = data.withUnsafeBytes { NVMeNamespace(id: id, parsing: $0) }
            if ns.size > 0 { found.append(ns) }
        }
        namespaces = found
        geometry = found.map { NVMeNamespaceGeometry(id: $0.id, blockSize: $0.blockSize) }
    }

    /// The active namespace `id`, if any.
    public func namespace(_ id: UInt32) -> NVMeNamespace? { namespaces.first { $0.id == id } }

    /// Deletes I/O queue pair `queue` (SQ first, then CQ) on the controller. The driver keeps the
    /// memory; the queue is unusable until the next ``reset()``.
    public func deleteIOQueue(_ queue: Int) throws(NVMeDriverError) {
        guard queue >= 0, queue < ioQueues.count else { throw .noSuchQueue(queue) }
        let id = UInt32(ioQueues[queue].id)
        try admin(.deleteIOSQ, [10: id])
        try admin(.deleteIOCQ, [10: id])
    }
}
