import torch


def main():
    print(torch.zeros(1))


if __name__ == "__main__":
    main()
