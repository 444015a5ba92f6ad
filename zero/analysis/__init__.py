"""`zero analysis`: KataGo's JSON analysis protocol (query checking) and the batched analysis engine; imports games and mcts only."""
