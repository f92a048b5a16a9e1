from cli_app.main import main

main()
