/// Intel 82599 10 GbE controller model (PF and SR-IOV VFs).
public enum Intel82599 {}
