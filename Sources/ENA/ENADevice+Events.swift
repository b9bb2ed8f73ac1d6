import PCIe
import RegisterModel

/// One asynchronous event as the device writes it (`ena_admin_aenq_entry`).
struct AsyncEvent {
    /// Event data starts at byte 16.
    static let dataOffset = 16
    var entry = ENAAdminEntry()

    init(group: ENAEventGroup, syndrome: UInt16) {
        entry.store(group.rawValue, at: 0)
        entry.store(syndrome, at: 2)
    }

    var group: UInt16 { entry.load(UInt16.self, at: 0) }
}

/// Events waiting for room in the AENQ (a fixed ring; the oldest are kept when it overflows).
struct EventBacklog {
    static let capacity = 16
    private var slots = [AsyncEvent?](repeating: nil, count: EventBacklog.capacity)
    private var first = 0
    private(set) var count = 0

    mutating func append(_ event: AsyncEvent) -> Bool {
        guard count < Self.capacity else { return false }
        slots[(first + count) % Self.capacity] = event
        count += 1
        return true
    }

    mutating func removeFirst() -> AsyncEvent? {
        guard count > 0 else { return nil }
        let event = slots[first]
        slots[first] = nil
        first = (first + 1) % Self.capacity
        count -= 1
        return event
    }
}

extension ENADevice {
    /// AENQ_CAPS or AENQ_BASE written: latches the event queue when depth, entry size and base
    /// are usable. The device writes nothing until AENQ_HEAD_DB gives it room.
    func eventQueueConfigured() {
        let caps = registers.value(at: R.AENQ_CAPS.offset)
        let depth = UInt16(truncatingIfNeeded: R.AENQ_CAPS.aenqDepth.extract(from: caps))
        let entry = R.AENQ_CAPS.aenqEntrySize.extract(from: caps)
        let base = registers.value(at: R.AENQ_BASE_LO.offset) | registers.value(at: R.AENQ_BASE_HI.offset) << 32
        let enabled = events.enabledGroups
        events = EventQueueState()
        events.enabledGroups = enabled
        guard depth != 0 || entry != 0 else { return }
        guard depth >= 2, depth <= 4096, depth & (depth &- 1) == 0, entry == UInt64(ENAAdminEntry.size), base != 0,
            base & 7 == 0
        else {
            if base != 0 {
                report(.device, "AENQ setup refused: depth \(depth), entry size \(entry), base 0x\(hex(base))")
            }
            return
        }
        events.configured = true
        events.base = base
        events.depth = depth
        events.shift = log2(ofPowerOfTwo: depth)
    }

    /// AENQ_HEAD_DB written: the new limit may move forward by at most the depth and never past
    /// tail + depth; anything else is recorded and ignored. Waiting events are written.
    func eventHeadWritten() {
        let head = UInt16(truncatingIfNeeded: registers.value(at: R.AENQ_HEAD_DB.offset))
        guard events.configured else {
            report(.device, "AENQ_HEAD_DB \(head) before the AENQ is set up; ignored")
            return
        }
        let ahead = head &- events.tail
        let forward = head &- events.head
        guard ahead <= events.depth, forward <= events.depth else {
            counters.ignoredDoorbells &+= 1
            report(
                .device,
                "AENQ_HEAD_DB \(head) is beyond tail \(events.tail) + depth \(events.depth) (head was \(events.head)); ignored")
            registers.set(R.AENQ_HEAD_DB.offset, UInt64(events.head))
            return
        }
        events.head = head
        flushBacklog()
    }

    /// Queues `event` if its group is enabled: written now when the AENQ has room, else kept in
    /// the backlog (dropped and counted when that is full).
    func post(_ event: AsyncEvent) {
        guard events.enabledGroups & (UInt32(1) << UInt32(event.group)) != 0 else { return }
        flushBacklog()
        if backlog.count == 0, events.room > 0, operational {
            write(event)
        } else if !backlog.append(event) {
            counters.eventsDropped &+= 1
        }
    }

    /// Writes waiting events while there is room.
    private func flushBacklog() {
        var wrote = false
        while backlog.count > 0, events.room > 0, operational, let event = backlog.removeFirst() {
            guard write(event, signal: false) else { return }
            wrote = true
        }
        if wrote { signal(vector: 0) }
    }

    /// Writes one event at the AENQ tail with the phase and a timestamp (virtual ms).
    @discardableResult
    private func write(_ event: AsyncEvent, signal interrupt: Bool = true) -> Bool {
        var entry = event.entry
        entry.store(UInt8((events.tail >> events.shift) & 1 == 0 ? 1 : 0), at: 4)
        let milliseconds = clock.now.nanoseconds / 1_000_000
        entry.store(UInt32(truncatingIfNeeded: milliseconds), at: 8)
        entry.store(UInt32(truncatingIfNeeded: milliseconds >> 32), at: 12)
        let index = events.tail & (events.depth &- 1)
        let address = events.base &+ UInt64(index) &* UInt64(ENAAdminEntry.size)
        guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(ENAAdminEntry.size), access: .write) else {
            report(.device, "cannot write AENQ entry \(index) at 0x\(hex(address)); event dropped")
            counters.eventsDropped &+= 1
            return false
        }
        entry.store(to: slot)
        events.tail &+= 1
        registers.set(R.AENQ_TAIL.offset, UInt64(events.tail))
        counters.eventsPosted &+= 1
        if interrupt { signal(vector: 0) }
        return true
    }

    /// A LINK_CHANGE event with the current link state (`ena_admin_aenq_link_change_desc`).
    func postLinkChange() {
        var event = AsyncEvent(group: .linkChange, syndrome: 0)
        event.entry.store(UInt32(linkUp ? 1 : 0), at: AsyncEvent.dataOffset)
        post(event)
    }

    /// Starts the keep-alive timer: every interval of virtual time, a KEEP_ALIVE event carrying
    /// the rx/tx drop and rx overrun counters (`ena_admin_aenq_keep_alive_desc`).
    func scheduleKeepAlive() {
        clock.schedule(after: configuration.keepAliveInterval) { [lifetime] in
            guard let device = lifetime.object else { return }
            device.keepAliveDue()
            device.scheduleKeepAlive()
        }
    }

    private func keepAliveDue() {
        guard keepAliveEnabled, operational, events.configured else { return }
        var event = AsyncEvent(group: .keepAlive, syndrome: 0)
        for (i, v) in [counters.rxDrops, counters.txDrops, counters.rxOverruns].enumerated() {
            event.entry.store(v, at: AsyncEvent.dataOffset + 8 * i)
        }
        let before = counters.eventsPosted
        post(event)
        if counters.eventsPosted != before { counters.keepAlives &+= 1 }
    }
}
