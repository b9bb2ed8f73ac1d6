print("devspec-gen")
