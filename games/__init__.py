"""Game rules: Go (games.go) and a small solvable game (games.tictactoe); imports nothing else of ours."""
