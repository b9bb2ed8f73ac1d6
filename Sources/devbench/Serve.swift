import ArgumentParser
import Foundation
import Host
import NVMe
import Network
import PCIe
import VFIOUser

/// `devbench serve`: expose functions of a profile to vfio-user clients (QEMU's
/// `vfio-user-pci`), each on its own UNIX socket.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve functions of the host to vfio-user clients (QEMU vfio-user-pci), one UNIX socket each.",
        discussion: """
            Builds the host, binds the reference drivers to every function that is not served \
            (the 82599 PF driver answers the VFs' mailbox), and listens on DIR/BDF.sock for each \
            served function. Without --function: the first VF of each 82599, every ENA and every \
            NVMe controller. The bench's virtual clock follows wall time while serving.
            """)

    @OptionGroup var options: ProfileOptions

    @Option(
        name: .customLong("function"),
        help: "A function to serve: a BDF (00:15.0) or a device kind (ena, nvme-ebs, ...). Repeatable.")
    var functions: [String] = []

    @Option(name: .long, help: "Directory for the sockets (created if missing).")
    var socketDirectory: String = "/tmp/devbench-vfio-user"

    @Option(name: .long, help: "Stop after this many seconds (0: run until interrupted).")
    var seconds: Double = 0

    @Flag(name: .long, help: "Exit once every socket has had --sessions clients and all have disconnected.")
    var exitWhenIdle = false

    @Option(name: .long, help: "Sessions per socket before --exit-when-idle ends the server.")
    var sessions: Int = 1

    @Option(name: .long, help: "Write every request and region access (with values) to this file.")
    var trace: String?

    @Option(name: .long, help: "Write the frames on each network wire to DIR/<function>.pcap (Wireshark reads them).")
    var pcap: String?

    @Option(
        name: .long,
        help: "After each session on this NVMe function ends, crypto-erase it (as at instance stop) before the next. Repeatable.")
    var cryptoEraseAfterSession: [String] = []

    @Option(
        name: .long,
        help: "IPv4 address of the host that answers ARP and ping on each 82599 port's wire (the ENA's wire gets the next /24).")
    var peerAddress: String = "169.254.101.2"

    func run() throws {
        let host = try options.makeHost()
        let wanted = try selection(in: host)
        host.bringUp(leavingUnbound: Set(wanted.map(\.bdf)))
        for p in host.bringUpProblems { print("bring-up problem: \(p)") }
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        let peers = try attachPeers(host)
        let server = VFIOUserServer(bus: host.bus)
        let traceFile = try trace.map { path in
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path)
            else {
                throw ValidationError("cannot write the trace file \(path)")
            }
            return handle
        }
        server.onEvent = {
            print($0)
            fflush(nil)
        }
        for w in wanted {
            guard let function = host.bus.function(at: w.bdf) else {
                throw ValidationError("\(w.bdf) is not on the bus after bring-up")
            }
            let path = "\(socketDirectory)/\(w.bdf).sock"
            let socket = try server.serve(function, at: path)
            if let traceFile { socket.endpoint.trace = { traceFile.write(Data(($0 + "\n").utf8)) } }
            print("serving \(w.bdf) \(w.label) \(String(format: "%04x:%04x", function.vendorID, function.deviceID)) at \(path)")
        }
        let erase = try Set(
            cryptoEraseAfterSession.map { text in
                guard let bdf = BDF(text), host.bus.function(at: bdf)?.model is NVMeController else {
                    throw ValidationError("--crypto-erase-after-session \(text) is not an NVMe controller")
                }
                return bdf
            })
        server.onSessionEnd = { socket in
            let function = socket.endpoint.function
            guard erase.contains(function.bdf), let controller = function.model as? NVMeController else { return }
            do {
                try controller.cryptoErase()
                print("\(function.bdf): crypto-erased (key destroyed and replaced, every block deallocated)")
            } catch {
                print("\(function.bdf): crypto-erase failed: \(error)")
            }
            fflush(nil)
        }
        fflush(nil)
        let deadline = seconds > 0 ? ContinuousClock.now + .milliseconds(Int64(seconds * 1000)) : nil
        server.run {
            (deadline.map { ContinuousClock.now >= $0 } ?? false) || (exitWhenIdle && server.allSessionsEnded(after: sessions))
        }
        for (where_, peer) in peers.responders {
            print(
                "\(where_): peer \(peer.ipv4Address) answered \(peer.arpRequestsAnswered) ARP and \(peer.echoRequestsAnswered) ping requests"
            )
        }
        for writer in peers.captures {
            writer.close()
            print("\(writer.path): \(writer.framesWritten) frames")
        }
        for s in server.sockets {
            let st = s.endpoint.statistics
            print(
                "\(s.endpoint.function.bdf): \(s.sessions) session(s), \(st.requests) requests, \(st.errorReplies) errors, "
                    + "\(st.regionAccesses) region accesses, \(st.interruptsSignalled) interrupts, \(st.dmaMaps) DMA maps, "
                    + "\(st.remoteDMARequests) DMA_READ/DMA_WRITE requests")
            for e in s.endpoint.protocolErrors.elements { print("  protocol: \(e)") }
        }
    }

    /// An ARP/ping responder on each wire (82599 ports at --peer-address, ENAs on the next /24s)
    /// and, with --pcap, a capture of each wire.
    private func attachPeers(_ host: VirtualHost) throws -> (responders: [(String, IPv4Responder)], captures: [PcapWriter]) {
        guard let base = IPv4Address(peerAddress) else { throw ValidationError("--peer-address \(peerAddress) is not IPv4") }
        if let pcap { try FileManager.default.createDirectory(atPath: pcap, withIntermediateDirectories: true) }
        // The smoke workload's echo peers would bounce every frame back; a guest wants a host
        // that answers as an IP stack does.
        for port in host.networkPorts { port.peer.echo = false }
        for port in host.enaPorts { port.peer.echo = false }
        let wires: [(BDF, Wire)] = host.networkPorts.map { ($0.bdf, $0.wire) } + host.enaPorts.map { ($0.bdf, $0.wire) }
        var responders: [(String, IPv4Responder)] = []
        var captures: [PcapWriter] = []
        let clock = host.bus.services.clock
        for (i, (bdf, wire)) in wires.enumerated() {
            let mac = MACAddress(0x0200_00ff_0000 | UInt64(i + 1))
            let responder = IPv4Responder(macAddress: mac, ipv4Address: IPv4Address(base.value &+ UInt32(i) << 8))
            responder.attach(to: wire)
            responders.append(("\(bdf) wire", responder))
            print("\(bdf) wire: peer \(responder.ipv4Address) at \(mac)")
            if let pcap {
                let writer = try PcapWriter(path: "\(pcap)/\(bdf).pcap", clock: { clock.now.nanoseconds / 1000 })
                wire.addFarEnd(writer)
                captures.append(writer)
            }
        }
        return (responders, captures)
    }

    /// The functions to serve, with a label each.
    private func selection(in host: VirtualHost) throws -> [(bdf: BDF, label: String)] {
        let devices = host.profile.devices
        func firstVF(of entry: DeviceEntry) -> BDF? {
            guard let pf = BDF(entry.slot), (entry.vfs ?? 0) > 0, let sriov = host.bus.function(at: pf)?.configuration.sriov
            else { return nil }
            // The PF driver sets ARI Capable Hierarchy before enabling VFs, so VF 0 sits at the
            // ARI First VF Offset.
            return BDF(routingID: pf.routingID &+ sriov.firstVFOffset)
        }
        if functions.isEmpty {
            var out: [(BDF, String)] = []
            for d in devices {
                switch d.kind {
                case .intel82599: if let vf = firstVF(of: d) { out.append((vf, "82599-vf")) }
                case .ena, .nvmeEBS, .nvmeInstanceStore: if let b = BDF(d.slot) { out.append((b, d.kind.rawValue)) }
                default: break
                }
            }
            return out
        }
        return try functions.map { name in
            if let bdf = BDF(name) { return (bdf, devices.first { BDF($0.slot) == bdf }?.kind.rawValue ?? "function") }
            guard let d = devices.first(where: { $0.kind.rawValue == name }), let b = BDF(d.slot) else {
                throw ValidationError("no function \(name) in profile \(host.profile.name)")
            }
            return (b, d.kind.rawValue)
        }
    }
}
