/// Ethernet frames, wires, pcap capture and RSS hashing shared by the NIC models.
///
/// - Addresses: ``MACAddress``, ``IPv4Address``, ``IPv6Address``, ``EtherType``.
/// - Parsing (hot path, allocation-free): ``FrameHeaders/parse(_:)``.
/// - Building (test and bench side): ``FrameBuilder``, ``InternetChecksum``.
/// - RSS: ``ToeplitzKey``, ``ToeplitzHasher``, ``RSSFieldSelection``, ``RSSHashType``.
/// - The far side of a NIC port: ``Wire``, ``FrameSink``, ``FrameRecorder``, ``PcapWriter``,
///   ``TrafficGenerator``, ``PeerHost``.
public enum Network {}
