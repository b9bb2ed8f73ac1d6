/// Ethernet frames, wires, pcap capture and RSS hashing shared by the NIC models.
public enum Network {}
