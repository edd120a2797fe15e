"""One module per lesson, named like the lesson notebook it serves (without its number).

A checker is declared with :func:`convlab.exercises.grading.definition.exercise`:
a reference, the known mistakes it names, and the cases it runs.
``common`` holds what several lessons' checkers share (readable integer inputs,
gradient references, the layer cases of lessons 03-04).
"""
