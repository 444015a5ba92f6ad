"""`zero bench` targets: each has add_arguments(parser) and run(args), printing a table or one JSON object."""
