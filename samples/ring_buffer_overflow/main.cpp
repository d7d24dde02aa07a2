// Moving average over a sliding window: the first number of the input is the
// window size, every following number is a sample. Prints the average of the
// last `window` samples after each one.
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <iostream>

class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity)
        : slots_(new long[capacity]), capacity_(capacity) {}
    ~RingBuffer() { delete[] slots_; }
    RingBuffer(const RingBuffer &) = delete;
    RingBuffer &operator=(const RingBuffer &) = delete;

    void push(long value)
    {
        slots_[head_] = value;
        head_++;
        if (head_ > capacity_)
            head_ = 0;
        if (count_ < capacity_)
            count_++;
    }

    std::size_t size() const { return count_; }

    long sum() const
    {
        long total = 0;
        for (std::size_t i = 0; i < count_; i++)
            total += slots_[i];
        return total;
    }

private:
    long *slots_;
    std::size_t capacity_;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
};

static bool read_window(std::istream &in, std::size_t &window)
{
    long value = 0;
    if (!(in >> value) || value <= 0 || value > 1024)
        return false;
    window = static_cast<std::size_t>(value);
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " SAMPLES\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::size_t window = 0;
    if (!read_window(in, window)) {
        std::cerr << argv[1] << ": first number must be a window size in 1..1024\n";
        return 1;
    }
    RingBuffer ring(window);
    long sample = 0;
    int n = 0;
    while (in >> sample) {
        ring.push(sample);
        n++;
        std::printf("sample %d: %ld, average %.2f\n", n, sample,
                    static_cast<double>(ring.sum()) / static_cast<double>(ring.size()));
    }
    return 0;
}
