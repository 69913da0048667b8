from buyerguard.cli import main

main()
