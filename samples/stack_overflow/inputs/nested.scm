(let ((a 1) (b (+ 2 (* 3 (- 4 5)))))
  (list a b (quote (nested (deeper (deepest))))))
