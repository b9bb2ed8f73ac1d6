print("devbench")
