"""Teaching with the lessons: copies for learners, nbgrader courses, clean re-execution.

- :mod:`convlab.course.cells` -- the nbgrader metadata of solution and test cells;
- :mod:`convlab.course.copies` -- the lessons shipped in the package, and copying
  them (or student copies) without overwriting a learner's edits;
- :mod:`convlab.course.nbgrader_course` -- an nbgrader course directory from the lessons;
- :mod:`convlab.course.reexecute` -- re-running lessons and writing them without
  volatile metadata.

The command line is ``python -m convlab`` (``lessons``, ``student``, ``course``) and
``python -m convlab.exercises`` (``tag-lessons``, ``reexecute``, ``make-student``).
"""
